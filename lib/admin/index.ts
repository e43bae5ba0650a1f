/**
 * The admin API and spend dashboard, served below `{mount}/admin` behind the master key. The gateway's handler
 * routes those paths here and implements {@link AdminData} from its own state.
 */
export { createAdminHandler } from './handler';
export type { AdminHandler, AdminHandlerOptions } from './handler';
export type { AdminData, DeploymentStatus, KeyStatus, KeyStatusLimits, KeyStatusUsage, MinuteUsage, RecentError } from './types';
export { createRecentErrorLog, RECENT_ERRORS_KEPT } from './recent-errors';
export type { RecentErrorLog } from './recent-errors';
