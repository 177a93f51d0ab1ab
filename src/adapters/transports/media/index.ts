/**
 * Removable-media transport: archived files (or any files) written to numbered POSIX tar volumes under a maximum
 * size, in N identical copies, with one unbroken sequence of serial numbers, a label and an index member in every
 * volume, and read back by `verifyVolumes`, `indexVolumes` and `restoreFromVolumes`. See docs/media.md.
 *
 * @module
 */
export {
  MEDIA_TRANSPORT_NAME,
  parseVolumeSize,
  writeVolumes,
  openVolumes,
  writeMediaItem,
  closeVolume,
  type VolumeRun,
  type FailedItem,
  type ItemPlacement,
  type MediaItem,
  type WriteProgress,
  type WriteVolumesOptions,
  type WriteVolumesReport,
  type WrittenItem,
  type WrittenVolume,
} from './write-volumes.js';
export { readVolume, MEDIA_FORMAT, type VolumeContents, type IndexEntry, type VolumeIndex, type VolumeLabel } from './read-volume.js';
export type { TarMember } from './_tar.js';
export type { MediumPlacement } from '../../../core/ports/catalog.js';
export { verifyVolumes, checkSequence, type VerifyVolumesOptions, type VerifyVolumesReport } from './verify-volumes.js';
export { restoreFromVolumes, type RestoreOptions, type RestoreReport, type RestoredFile } from './restore-volumes.js';
export { indexVolumes, type IndexVolumesOptions, type IndexVolumesReport } from './index-volumes.js';
export { archivedItem, isOnMedia } from './archived-items.js';
export { recordLastVolume, type RecordLastVolumeReport } from './record-last-volume.js';
export { createMediaTransport, type MediaTransport, type MediaTransportOptions, type MediaTransportStatus } from './media-transport.js';
export { applyIndexMessage, buildIndexMessage, parseIndexMessage, INDEX_MESSAGE_FORMAT, type ApplyIndexOptions, type ApplyIndexReport, type IndexMessage } from './index-messages.js';
export { createIndexMessageHandler, httpIndexSender, type IndexMessageHandlerOptions, type IndexMessageSender } from './index-delivery.js';
