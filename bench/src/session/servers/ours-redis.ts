/** Our sessions in Redis: the cookie holds a sealed session id, the session a JSON string in Redis. */
import { RedisOneTimeStore, RedisSessionStore } from '@org/auth-redis'
import { createClient } from 'redis'
import { oursServers } from '../ours.js'

export const servers = oursServers(
  'redis',
  '`RedisSessionStore` + `RedisOneTimeStore` from `@org/auth-redis` on a node-redis 5 client: a sealed session id in the cookie, one `EVAL` (`GET`) per request',
  ['redis'],
  async (context) => {
    const client = await createClient({ url: context.redisUrl }).connect()
    const options = { prefix: context.redisPrefix }
    return {
      store: new RedisSessionStore(client, options),
      oneTimeStore: new RedisOneTimeStore(client, options),
    }
  },
)
