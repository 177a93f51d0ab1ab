import type { IncomingMessage, ServerResponse } from 'node:http';
import { expectTypeOf, test } from 'vitest';
import {
  createIngestServer,
  createWebhookHandler,
  loadTokensFile,
  signWebhook,
  verifyWebhook,
  type CallbackPayload,
  type IngestServer,
  type IngestServerOptions,
  type TokenEntry,
} from '../../../src/adapters/http/server.js';
import { createHttpTransport, type HttpTransportOptions } from '../../../src/adapters/http/transport.js';
import type { Transport } from '../../../src/core/ports/transport.js';
import type { Ingestor } from '../../../src/core/runtime/engine.js';

test('transport options: only url is required; ingest is a closed set', () => {
  expectTypeOf<{ url: string }>().toExtend<HttpTransportOptions>();
  expectTypeOf<{ token: string }>().not.toExtend<HttpTransportOptions>();
  expectTypeOf<HttpTransportOptions['ingest']>().toEqualTypeOf<'wait' | 'request' | 'none' | undefined>();
  expectTypeOf(createHttpTransport).returns.toEqualTypeOf<Transport>();
});

test('server options: the ingestor and the upload directory are required', () => {
  expectTypeOf<{ ingestor: Ingestor; uploads: string }>().toExtend<IngestServerOptions>();
  expectTypeOf<{ uploads: string }>().not.toExtend<IngestServerOptions>();
  expectTypeOf(createIngestServer).returns.toEqualTypeOf<IngestServer>();
  expectTypeOf<IngestServer['handler']>().toEqualTypeOf<(req: IncomingMessage, res: ServerResponse) => void>();
});

test('tokens: scopes are a closed set; a file loads into entries', () => {
  expectTypeOf<TokenEntry['scopes']>().toEqualTypeOf<('push' | 'read' | 'admin')[]>();
  expectTypeOf(loadTokensFile).returns.resolves.toEqualTypeOf<TokenEntry[]>();
});

test('webhooks: sign gives the header value, verify gives the payload', () => {
  expectTypeOf(signWebhook).returns.toBeString();
  expectTypeOf(verifyWebhook).returns.toEqualTypeOf<CallbackPayload>();
  expectTypeOf<CallbackPayload['event']>().toEqualTypeOf<'archived' | 'failed'>();
  expectTypeOf(createWebhookHandler).parameter(0).toHaveProperty('onEvent');
});
