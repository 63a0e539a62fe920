// The app client: what an application imports to run sessions and callback calls.

export type * from '../contract/callBack.ts';
export type * from '../contract/session.ts';
export { CallBackClient, type CallBackHandle } from './callBacks.ts';
export { type ConnectedApp, connectApp } from './connect.ts';
export { type AppClientOptions, SessionClient, type SessionHandle, type SessionSummary } from './sessions.ts';
