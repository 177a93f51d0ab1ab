/** The in-memory transport of fits-ingest/testing behaves like a real one: it passes the Transport conformance suite. */
import { expect, it } from 'vitest';
import { nodeFiles } from '../../src/io/node-files.js';
import { createMemoryTransport, transportConformance } from '../../src/testing/index.js';

transportConformance({ it, expect }, async () => {
  const transport = createMemoryTransport({ files: nodeFiles() });
  return {
    transport,
    readArchived: async (request) => transport.versions(request.archiveId).at(-1)?.bytes,
    teardown: async () => {},
  };
});
