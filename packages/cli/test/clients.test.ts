/** `org-auth clients …` in-process, on PGlite and on the server: the secret is printed once only. */
import { describe, expect, it } from 'vitest'
import { backends, cli, json, type Result } from './helpers.js'

interface Client {
  clientId: string
  name: string
  scopes: string[]
  audiences: string[]
  owner: string | null
  disabled: boolean
  revision: number
}

for (const backend of backends()) {
  describe(`clients on ${backend.name}`, () => {
    async function add(
      target: { env: Record<string, string | undefined>; args: string[] },
      ...extra: string[]
    ) {
      const result = await cli(
        [
          'clients',
          'add',
          '--name',
          'Billing',
          '--type',
          'confidential',
          '--grant',
          'client_credentials',
          '--scope',
          'invoices:read invoices:write',
          '--audience',
          'https://api.example.com',
          '--owner',
          'team-a',
          '--json',
          ...extra,
          ...target.args,
        ],
        target.env,
      )
      expect(result.code, result.stderr).toBe(0)
      return json<{ client: Client; clientSecret: string }>(result)
    }

    it('add prints the secret once; show and list never do, in text or JSON', async () => {
      const target = await backend.fresh()
      const text = await cli(
        [
          'clients',
          'add',
          '--name',
          'Text',
          '--type',
          'confidential',
          '--grant',
          'client_credentials',
          ...target.args,
        ],
        target.env,
      )
      expect(text.code).toBe(0)
      const secret = text.stdout.match(/^client_secret\s+(oas_\S+)$/m)?.[1]
      expect(secret).toBeDefined()
      expect(text.stdout).toContain('it will not be shown again')
      const clientId = text.stdout.match(/^client_id\s+(oac_\S+)$/m)?.[1] as string

      const { client, clientSecret } = await add(target)
      expect(clientSecret).toMatch(/^oas_/)
      expect(client).toMatchObject({
        name: 'Billing',
        scopes: ['invoices:read', 'invoices:write'],
        owner: 'team-a',
      })

      // One after the other: a PGlite directory is opened by one instance at a time.
      const outputs = []
      for (const argv of [
        ['clients', 'show', clientId],
        ['clients', 'show', client.clientId, '--json'],
        ['clients', 'list'],
        ['clients', 'list', '--json'],
      ]) {
        outputs.push(await cli([...argv, ...target.args], target.env))
      }
      for (const output of outputs) {
        expect(output.code).toBe(0)
        expect(output.stdout).not.toContain(secret as string)
        expect(output.stdout).not.toContain(clientSecret)
        // The method's name (client_secret_basic) is shown; no secret, hash or hash field is.
        expect(output.stdout).not.toMatch(/oas_|hmac-sha256|secretHash|client_secret(?!_basic)/i)
      }
      expect(json<{ client: Client }>(outputs[1] as Result).client).toEqual(client)
      const listed = json<{ clients: Client[] }>(outputs[3] as Result).clients.map((c) => c.clientId)
      expect(listed.sort()).toEqual([clientId, client.clientId].sort())
    })

    it('list --owner filters; update replaces lists; disable and enable', async () => {
      const target = await backend.fresh()
      const { client } = await add(target)
      await add(target, '--owner', 'team-b')
      const mine = await cli(['clients', 'list', '--owner', 'team-b', '--json', ...target.args], target.env)
      expect(json<{ clients: Client[] }>(mine).clients.map((c) => c.owner)).toEqual(['team-b'])

      const updated = await cli(
        [
          'clients',
          'update',
          client.clientId,
          '--scope',
          'invoices:read',
          '--audience',
          '',
          '--name',
          'Renamed',
          '--json',
          ...target.args,
        ],
        target.env,
      )
      expect(updated.code, updated.stderr).toBe(0)
      expect(json<{ client: Client }>(updated).client).toMatchObject({
        name: 'Renamed',
        scopes: ['invoices:read'],
        audiences: [],
        owner: 'team-a',
        revision: 2,
      })
      const cleared = await cli(
        ['clients', 'update', client.clientId, '--owner', '', '--json', ...target.args],
        target.env,
      )
      expect(json<{ client: Client }>(cleared).client).toMatchObject({ owner: null, revision: 3 })
      const nothing = await cli(['clients', 'update', client.clientId, ...target.args], target.env)
      expect(nothing).toMatchObject({ code: 2, stdout: '' })
      const disabled = await cli(
        ['clients', 'disable', client.clientId, '--json', ...target.args],
        target.env,
      )
      expect(json<{ client: Client }>(disabled).client.disabled).toBe(true)
      // A disabled client's secret cannot be rotated: a conflict with its state.
      const refused = await cli(['clients', 'rotate-secret', client.clientId, ...target.args], target.env)
      expect(refused).toMatchObject({ code: 4, stdout: '' })
      expect(refused.stderr).toMatch(/^org-auth: .*disabled.* \[ERR_CLIENT_DISABLED\]\n$/)
      const enabled = await cli(['clients', 'enable', client.clientId, ...target.args], target.env)
      expect(enabled.stdout).toMatch(/^status\s+enabled$/m)
    })

    it('rotate-secret prints the new secret once, with how long the old one works', async () => {
      const target = await backend.fresh()
      const { client, clientSecret } = await add(target)
      const rotated = await cli(
        ['clients', 'rotate-secret', client.clientId, '--grace', '600', ...target.args],
        target.env,
      )
      expect(rotated.code).toBe(0)
      expect(rotated.stdout).toMatch(/^client_secret\s+oas_\S+$/m)
      expect(rotated.stdout).not.toContain(clientSecret)
      expect(rotated.stdout).toContain('keeps working for 600 seconds')
      const again = await cli(
        ['clients', 'rotate-secret', client.clientId, '--json', ...target.args],
        target.env,
      )
      expect(json(again)).toMatchObject({ clientId: client.clientId, gracePeriodSeconds: 0 })
    })

    it('a public client gets no secret', async () => {
      const target = await backend.fresh()
      const result = await cli(
        [
          'clients',
          'add',
          '--name',
          'SPA',
          '--type',
          'public',
          '--grant',
          'authorization_code',
          '--redirect-uri',
          'https://app.example.com/cb',
          '--json',
          ...target.args,
        ],
        target.env,
      )
      expect(result.code, result.stderr).toBe(0)
      expect(json(result)).toMatchObject({ clientSecret: null, client: { clientType: 'public' } })
    })

    it('answers an unknown client with exit 3, invalid metadata with exit 2', async () => {
      const target = await backend.fresh()
      for (const command of ['show', 'disable', 'enable', 'rotate-secret']) {
        const result = await cli(['clients', command, 'oac_unknown', ...target.args], target.env)
        expect(result).toMatchObject({ code: 3, stdout: '' })
        expect(result.stderr).toBe('org-auth: No client has this id [ERR_CLIENT_NOT_FOUND]\n')
      }
      const invalid = await cli(
        [
          'clients',
          'add',
          '--name',
          'X',
          '--type',
          'confidential',
          '--grant',
          'client_credentials',
          '--audience',
          'not a uri',
          '--json',
          ...target.args,
        ],
        target.env,
      )
      expect(invalid.code).toBe(2)
      expect(JSON.parse(invalid.stderr)).toMatchObject({ error: { code: 'ERR_CLIENT_AUDIENCE' } })
    })
  })
}
