/**
 * The layer rules of ../shared/ARCHITECTURE.md, checked on every `npm test`
 * (`npm run check:deps`). A forbidden import or an import cycle fails the run.
 *
 *   cli/ -> node/, sim/ -> protocol/, matching/, settlement/
 *
 * protocol/ and matching/ are the pure core: they import no effectful layer and
 * no module of Node's that touches a socket, a process or the disk.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle: two modules that cannot be understood, loaded or tested apart.',
      from: {},
      to: { circular: true }
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'protocol/ and matching/ are the pure core: they import nothing from settlement/, node/, sim/, cli/, bench/ or test/.',
      from: { path: '^(protocol|matching)/' },
      to: { path: '^(settlement|node|sim|cli|bench|test)/' }
    },
    {
      name: 'core-has-no-effects',
      severity: 'error',
      comment: 'protocol/ and matching/ open no socket, process, worker or server (reading a map file is matching/graph/osm-import\'s one effect).',
      from: { path: '^(protocol|matching)/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(http|https|net|dgram|child_process|worker_threads|cluster|tls)$' }
    },
    {
      name: 'core-logs-through-options',
      severity: 'error',
      comment: 'protocol/ and matching/ keep no module-level logger: a caller that wants their lines passes a log function in the options.',
      from: { path: '^(protocol|matching)/' },
      to: { path: '@libp2p/logger' }
    },
    {
      name: 'libp2p-stack-below-network-adapter',
      severity: 'error',
      comment: 'node/libp2p/ composes the libp2p stack; node/network/ adapts it to the Network port. The adapter imports the stack, never the other way.',
      from: { path: '^node/libp2p/' },
      to: { path: '^node/network/' }
    },
    {
      name: 'settlement-below-node',
      severity: 'error',
      comment: 'settlement/ is the chain layer: it imports the core only, never node/, sim/, cli/.',
      from: { path: '^settlement/' },
      to: { path: '^(node|sim|cli|bench|test)/' }
    },
    {
      name: 'node-below-sim-and-cli',
      severity: 'error',
      comment: 'node/ is one running peer: it does not know the simulator or the command line.',
      from: { path: '^node/' },
      to: { path: '^(sim|cli|bench|test)/' }
    },
    {
      name: 'sim-below-cli',
      severity: 'error',
      comment: 'sim/ is a library the command drives; presentation (the terminal, the HTML report) lives in cli/.',
      from: { path: '^sim/' },
      to: { path: '^(cli|bench|test)/' }
    },
    {
      name: 'commands-stay-apart',
      severity: 'error',
      comment: 'A command does not reach into another command\'s file for helpers: shared helpers live in cli/ outside commands/.',
      from: { path: '^cli/commands/([^/]+)\\.ts$' },
      to: { path: '^cli/commands/', pathNot: '^cli/commands/$1\\.ts$' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' }
  }
}
