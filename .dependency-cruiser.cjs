/**
 * The layering rules `npm test` enforces (test/package/layering.test.ts runs `depcruise` with this file).
 * The folders are the architecture (docs/architecture.md): a pure core, ports, adapters, hosts.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle makes two modules one: load order, tests and reasoning all depend on both.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-stays-pure',
      severity: 'error',
      comment: 'src/core is the pure core: it imports only itself (ports describe the outside world).',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'core-third-party',
      severity: 'error',
      comment: 'The core may use zod and eventemitter3 only, and no Node.js built-in modules (no I/O).',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown', 'core'], pathNot: 'node_modules/(zod|eventemitter3)/' },
    },
    {
      name: 'internal-stays-in-its-area',
      severity: 'error',
      comment:
        'A file whose name starts with _ directly under an area (src/adapters/_x.ts, src/io/_x.ts, src/cli/_x.ts) is ' +
        'internal to that area. Adapters share their internals through src/adapters/_shared/.',
      from: { path: '^(src/[^/]+)/' },
      to: { path: '^src/[^/]+/_[^/]+$', pathNot: '^$1/' },
    },
    {
      name: 'internal-stays-in-its-folder',
      severity: 'error',
      comment:
        'A file whose name starts with _ inside a folder (src/adapters/http/_x.ts, src/core/runtime/_x.ts) is internal ' +
        'to that folder and its subfolders; what another folder needs becomes a public module or moves to ' +
        'src/adapters/_shared/.',
      from: { path: '^(src/[^/]+/[^/]+)/' },
      to: { path: ['^src/[^/]+/[^/]+/_[^/]+$', '^src/[^/]+/[^/]+/.*/_[^/]+$'], pathNot: ['^$1/', '^src/adapters/_shared/'] },
    },
    {
      name: 'internal-from-area-root',
      severity: 'error',
      comment: 'Files directly under an area (src/ingestor.ts, src/cli/program.ts) may not reach into a folder\'s internals.',
      from: { path: ['^src/[^/]+$', '^src/[^/]+/[^/]+$'] },
      to: { path: ['^src/[^/]+/[^/]+/_[^/]+$', '^src/[^/]+/[^/]+/.*/_[^/]+$'], pathNot: '^src/adapters/_shared/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
