// Deno runs the bundle with network access to the JWKS port only. It lends `node:crypto`
// through `process.getBuiltinModule`, so the core checks signatures natively there.
import { runDeno } from '../src/processes.js'
import { describeCliRuntime } from './cli-runtime.js'

describeCliRuntime({ runtime: 'deno', title: 'Deno', run: runDeno })
