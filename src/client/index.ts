// The app client: what an application imports to run sessions and callback calls.

export type * from '../contract/callBack.ts';
export type * from '../contract/session.ts';
// Types only: the package's run-time surface stays the three clients; the errors are told by their `name`.
export type { SessionBinding, SessionNotBoundError } from './bindWait.ts';
export { CallBackClient, type CallBackHandle } from './callBacks.ts';
export type { SessionCloseTimeoutError } from './closeWait.ts';
export { type ConnectedApp, connectApp } from './connect.ts';
export {
  type AppClientOptions,
  type CloseSessionOptions,
  SessionClient,
  type SessionHandle,
  type SessionSummary,
} from './sessions.ts';
