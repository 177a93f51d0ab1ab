import { expectTypeOf, test } from 'vitest';
import {
  createFilesystemTransport,
  type FilesystemTransportOptions,
} from '../../../src/adapters/transports/filesystem.js';
import type { Transport } from '../../../src/core/ports/transport.js';

test('options: only root is required', () => {
  expectTypeOf<{ root: '/archive' }>().toExtend<FilesystemTransportOptions>();
  expectTypeOf<{ layout: '{archiveId}.fits' }>().not.toExtend<FilesystemTransportOptions>();
  expectTypeOf<FilesystemTransportOptions['manifest']>().toEqualTypeOf<boolean | undefined>();
});

test('the factory returns the Transport port, with committed()', () => {
  expectTypeOf(createFilesystemTransport).returns.toEqualTypeOf<Transport>();
});
