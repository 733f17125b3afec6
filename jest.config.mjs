/**
 * Jest runs the TypeScript sources as native ES modules (parquet-wasm, hyparquet and
 * apache-arrow are ESM packages), so `npm test` starts Node with --experimental-vm-modules.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }]
  },
  testMatch: ['<rootDir>/src/**/__tests__/**/*.spec.ts'],
  roots: ['<rootDir>/src'],
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/global-setup.mjs'
};
