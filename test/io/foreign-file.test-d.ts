import { describe, expectTypeOf, it } from 'vitest';
import {
  ATTACHMENT_KINDS,
  unwrapForeign,
  unwrapForeignFile,
  wrapForeign,
  wrapForeignFile,
  type AttachmentKind,
  type ForeignFileInfo,
  type UnwrappedForeignFile,
  type WrapForeignOptions,
  type WrappedForeignFile,
} from '../../src/index.js';

describe('FOREIGN public API types', () => {
  it('exports the codec and the file functions from the package root', () => {
    expectTypeOf(wrapForeignFile).parameters.toEqualTypeOf<[string, string, WrapForeignOptions?]>();
    expectTypeOf(wrapForeignFile).returns.resolves.toEqualTypeOf<WrappedForeignFile>();
    expectTypeOf(unwrapForeignFile).returns.resolves.toEqualTypeOf<UnwrappedForeignFile>();
    expectTypeOf(wrapForeign).returns.toEqualTypeOf<Uint8Array>();
    expectTypeOf(unwrapForeign).returns.toHaveProperty('file').toEqualTypeOf<ForeignFileInfo>();
    expectTypeOf<(typeof ATTACHMENT_KINDS)[number]>().toEqualTypeOf<AttachmentKind>();
    expectTypeOf<AttachmentKind>().toEqualTypeOf<'weather' | 'log' | 'notes' | 'other'>();
    // @ts-expect-error kinds are a closed set
    void wrapForeignFile('a', 'b', { kind: 'pdf' });
  });
});
