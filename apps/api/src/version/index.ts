export { VersionModule } from './version.module';
