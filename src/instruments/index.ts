/**
 * Instrument descriptions as data: the schema, loading from JSON/YAML, the shipped descriptions, and the pure
 * rule evaluators (keyword resolution, conditions, prefixes, image types, archive ids, semesters, paths).
 *
 * @module
 */
export * from '../core/instruments/archive-id.js';
export { parseArchiveTemplate, type TemplatePart, type TemplateParse } from '../core/instruments/archive-template.js';
export * from './builtin/index.js';
export * from '../core/instruments/calibrations.js';
export {
  conditionSchema,
  type Condition,
  type KeywordCondition,
  type KeywordTest,
  type Scalar,
} from '../core/instruments/condition.js';
export * from '../core/instruments/find-instrument.js';
export * from '../core/instruments/header-view.js';
export { COLUMN_TYPES, defaultColumnName, type ColumnType, type KeywordColumn } from '../core/instruments/keyword-column.js';
export * from './load.js';
export * from '../core/instruments/parse-instrument.js';
export * from '../core/instruments/processing.js';
export { processingRuleSchema } from '../core/instruments/processing-rules.js';
export { globToRegExp, isPathAccepted, type PathPattern, type PathRules } from '../core/instruments/path-filter.js';
export * from '../core/instruments/rules.js';
export * from '../core/instruments/schema.js';
export * from '../core/instruments/semester.js';
