export { DiagnosticsModule } from './diagnostics.module';
