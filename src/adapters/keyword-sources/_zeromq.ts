/**
 * Loads the `zeromq` package on first use, so users who never touch ZeroMQ need neither the package nor its
 * native binary. Internal to src/adapters/keyword-sources.
 *
 * @module
 */
import { importOptional, missingPeer, type OptionalPeer } from '../_shared/import-optional.js';

/** The `zeromq` module (v6). */
export type ZeromqModule = typeof import('zeromq');

let loading: Promise<ZeromqModule> | undefined;

/**
 * The `zeromq` module, imported once. `importer` replaces the import (tests use it to simulate a missing
 * package).
 *
 * @throws IngestError DEPENDENCY_MISSING when the package or its native binary does not load.
 */
export function loadZeromq(importer?: () => Promise<unknown>): Promise<ZeromqModule> {
  if (importer) return load(importer);
  loading ??= load(() => import('zeromq')).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** The `zeromq` package, an optional peer dependency. */
export const ZEROMQ_PEER: OptionalPeer = { name: 'zeromq', range: '6', neededBy: 'the ZeroMQ keyword adapter' };

async function load(importer: () => Promise<unknown>): Promise<ZeromqModule> {
  const mod = (await importOptional(ZEROMQ_PEER, importer)) as ZeromqModule & { default?: ZeromqModule };
  const zmq = typeof mod.Subscriber === 'function' ? mod : mod.default;
  if (!zmq || typeof zmq.Subscriber !== 'function') throw missingPeer(ZEROMQ_PEER, new Error('the module has no Subscriber socket'));
  return zmq;
}

/** A socket's `send`, one call at a time (zeromq.js rejects a send while another is in progress). */
export function serialSender(socket: { send(frames: (string | Uint8Array)[]): Promise<void> }): (frames: (string | Uint8Array)[]) => Promise<void> {
  let tail: Promise<void> = Promise.resolve();
  return (frames) => {
    const sent = tail.then(() => socket.send(frames));
    tail = sent.catch(() => {});
    return sent;
  };
}

/** Endpoints ZeroMQ understands here. */
export const ENDPOINT = /^(?:tcp|ipc|inproc|ws|wss):\/\/\S+$/;
