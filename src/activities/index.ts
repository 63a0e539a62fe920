// Every activity the worker registers, built from the dependencies the worker injects.
import type { Client } from '@temporalio/client';
import { type ArchiveConfig, DEFAULT_MAX_RECORDING_BYTES } from '../archive/config.ts';
import type { CallbackUrlConfig } from '../npp/callbacks/urls.ts';
import type { NppClient } from '../npp/client.ts';
import { createArchiveActivities } from './archiveActivities.ts';
import { createNotifyActivities, type NotifyDeps } from './notifyActivities.ts';
import { createNppActivities } from './nppActivities.ts';
import { createReconcileActivities } from './reconcileActivities.ts';
import { createSessionCdrActivities } from './sessionCdrActivities.ts';

export interface ActivityDependencies {
  client: NppClient;
  /** Where the platform should push callbacks; without it the console defaults apply. */
  callbacks?: CallbackUrlConfig;
  /** Where recordings are archived (archiveConfigFromEnv); without it archiving is off. */
  archive?: ArchiveConfig;
  /** Lets reconciliation find and signal workflows; without it reconcileCdrs fails (not retried). */
  temporal?: Client;
  /** Signs notifications to sessions' notifyUrl; without it deliverNotification fails (not retried). */
  notify?: NotifyDeps;
}

export function createActivities(dependencies: ActivityDependencies) {
  return {
    ...createNppActivities(dependencies),
    ...createArchiveActivities(dependencies.archive ?? { maxBytes: DEFAULT_MAX_RECORDING_BYTES }),
    ...createReconcileActivities(dependencies),
    ...createSessionCdrActivities(dependencies),
    ...createNotifyActivities(dependencies.notify ?? {}),
  };
}

export type Activities = ReturnType<typeof createActivities>;
