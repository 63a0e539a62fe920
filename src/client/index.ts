// The app client: what an application imports to run sessions and callback calls.

export type * from '../workflows/callBackDefinitions.ts';
export type * from '../workflows/definitions.ts';
export { CallBackClient, type CallBackHandle } from './callBacks.ts';
export { type ConnectedApp, connectApp } from './connect.ts';
export { type AppClientOptions, SessionClient, type SessionHandle, type SessionSummary } from './sessions.ts';
