// The workerd entry: a Worker that runs the checks for the input POSTed to it and answers the
// report as JSON. A failure answers 500 with `{"error": ...}` for the test to show.
import { runChecks } from './checks.js'
import type { CheckInput } from './report.js'

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== 'POST') return new Response('POST the check input', { status: 405 })
    try {
      const input = (await request.json()) as CheckInput
      return Response.json(await runChecks(input))
    } catch (error) {
      return Response.json({ error: String(error), stack: (error as Error).stack }, { status: 500 })
    }
  },
}
