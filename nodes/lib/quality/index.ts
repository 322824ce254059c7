export { DataQualityChecker, DEFAULT_QUALITY_CONFIG } from './checker';
export type { MessageOutcome, QualityConfig, QualitySummary, QualityTotals, RejectedItem } from './checker';
export { qualityConfigFromEditor } from './config';
export type { EditorQualityConfig, EditorRuleRow } from './config';
export type { CheckPolicy, DuplicateMode, FlatlineAction, QualityRules } from './rules';
export type { KeyLimitAction } from './key-state';
