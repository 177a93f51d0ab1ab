/** What a route handler is given: the request once routed and authenticated, and the server's services. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal, Scope } from './_auth.js';
import type { IngestService } from './_ingest.js';
import type { UploadStore } from './_uploads.js';
import type { ProcessingService } from '../../processing/service.js';
import type { EventFeed } from './_feed.js';
import type { SubscriptionService } from './_subscriptions.js';

/** What handlers share. */
export interface Services {
  uploads: UploadStore;
  ingest: IngestService;
  /** The archive's event log for readers (long-poll, streams). */
  feed: EventFeed;
  subscriptions: SubscriptionService;
  /** Open event streams, ended when the server closes. */
  streams: Set<ServerResponse>;
  limits: { maxJsonBytes: number; maxUploadBytes: number; maxWaitSeconds: number; uploadTtlMs: number };
  now: () => number;
  /** Program collaborators granted by PIs (see _grants.ts). */
  grants?: import('./_grants.js').GrantService;
  /** The reprocessing service, when the server offers one (see _routes-processing.ts). */
  processing?: ProcessingService;
  /** Quick-look on arrival and night close, when the server runs them (see _routes-quicklook.ts). */
  quickLook?: import('../../processing/quicklook.js').QuickLook;
}

/** One request, once routed and authenticated. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  query: URLSearchParams;
  principal: Principal;
  /** Lets a client that sent `Expect: 100-continue` send its body (call once the request is accepted). */
  proceed(): void;
}

/** A route: `path` is written as in docs/openapi.yaml. */
export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** Any one of these scopes is enough; null = no token needed. */
  scopes: readonly Scope[] | null;
  handler: (ctx: RouteContext, services: Services) => Promise<void>;
}
