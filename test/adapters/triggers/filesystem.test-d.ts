import * as vitest from 'vitest';
import { expectTypeOf, test } from 'vitest';
import {
  createFilesystemTrigger,
  createScanTrigger,
  type FilesystemTriggerOptions,
  type ScanTriggerOptions,
} from '../../../src/adapters/triggers/filesystem.js';
import type { Trigger } from '../../../src/core/ports/trigger.js';
import type { AdapterSuiteRunner } from '../../../src/testing/index.js';

test('options: only paths is required; level is 0 | 1 | 2', () => {
  expectTypeOf<{ paths: ['/data'] }>().toExtend<FilesystemTriggerOptions>();
  expectTypeOf<{ paths: ['/data'] }>().toExtend<ScanTriggerOptions>();
  expectTypeOf<{ include: ['*.fits'] }>().not.toExtend<FilesystemTriggerOptions>();
  expectTypeOf<FilesystemTriggerOptions['level']>().toEqualTypeOf<0 | 1 | 2 | undefined>();
  expectTypeOf<FilesystemTriggerOptions['debounceMs']>().toEqualTypeOf<number | undefined>();
});

test('the factories return the Trigger port', () => {
  expectTypeOf(createFilesystemTrigger).returns.toEqualTypeOf<Trigger>();
  expectTypeOf(createScanTrigger).returns.toEqualTypeOf<Trigger>();
});

test("vitest's module and { it, expect } fit the suites' runner", () => {
  expectTypeOf(vitest).toExtend<AdapterSuiteRunner>();
  expectTypeOf({ it: vitest.it, expect: vitest.expect }).toExtend<AdapterSuiteRunner>();
});
