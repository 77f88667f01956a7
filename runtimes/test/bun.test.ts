// Bun runs the bundle as a script: it lends `node:crypto` through `process.getBuiltinModule`,
// so the core checks signatures natively there.
import { runBun } from '../src/processes.js'
import { describeCliRuntime } from './cli-runtime.js'

describeCliRuntime({ runtime: 'bun', title: 'Bun', run: (bundle, input, dir) => runBun(bundle, input, dir) })
