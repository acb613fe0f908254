// The user feature's public face: other features reach users through UsersService, never the repository.
export { UserModule } from './user.module';
export { type UserAccount, type UserPage, type UserProfile, type UserSearch, UsersService, type WithinUserChange } from './users.service';
export { UserError } from './user.errors';
