import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './entities/user.entity';

/** Users: profile, phone binding and admin management arrive with the auth issue. */
@Module({
  imports: [TypeOrmModule.forFeature([User])],
})
export class UserModule {}
