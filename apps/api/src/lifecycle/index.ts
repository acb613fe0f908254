export { installGracefulShutdown, type ShutdownTiming } from './graceful-shutdown';
