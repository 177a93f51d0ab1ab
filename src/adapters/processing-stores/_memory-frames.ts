/** The in-memory half of {@link RuleFrameStore} (quick-look frames and nights). Internal. @module */
import type { RuleFrameStore } from '../../core/ports/processing-store.js';
import type { NightRecord, RuleFrame } from '../../core/processing/quicklook.js';

/** Frames and nights kept in maps. */
export function memoryRuleFrames(): RuleFrameStore {
  const frames = new Map<string, RuleFrame>();
  const nights = new Map<string, NightRecord>();
  const key = (archiveId: string, rule: string): string => `${archiveId}\u0000${rule}`;
  return {
    async addFrame(frame) {
      if (frames.has(key(frame.archiveId, frame.rule))) return false;
      frames.set(key(frame.archiveId, frame.rule), structuredClone(frame));
      return true;
    },
    async putFrame(frame) {
      frames.set(key(frame.archiveId, frame.rule), structuredClone(frame));
    },
    async findFrames(filter = {}) {
      return [...frames.values()]
        .filter((f) => (filter.instrument === undefined || f.instrument === filter.instrument) && (filter.night === undefined || f.night === filter.night))
        .filter((f) => filter.states === undefined || filter.states.includes(f.state))
        .sort((a, b) => a.archivedAt - b.archivedAt || a.archiveId.localeCompare(b.archiveId) || a.rule.localeCompare(b.rule))
        .slice(0, filter.limit ?? 100_000)
        .map((f) => structuredClone(f));
    },
    getNight: async (instrument, night) => structuredClone(nights.get(`${instrument}\u0000${night}`)),
    async putNight(night) {
      nights.set(`${night.instrument}\u0000${night.night}`, structuredClone(night));
    },
    async listNights(filter = {}) {
      return [...nights.values()].filter((n) => filter.instrument === undefined || n.instrument === filter.instrument)
        .sort((a, b) => b.night.localeCompare(a.night) || a.instrument.localeCompare(b.instrument)).map((n) => structuredClone(n));
    },
  };
}
