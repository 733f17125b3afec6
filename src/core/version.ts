/**
 * The locolens version, part of every cache key: a new version never reads an older one's
 * entries. Kept equal to package.json's version (a test checks it).
 */
export const LOCOLENS_VERSION = '0.1.0';
