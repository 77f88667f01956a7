// Generated from README.md: do not edit.
import { publicKeyFromFile } from '@org/auth-core/node'

const publicKey = publicKeyFromFile('/etc/keys/issuer.pem') // read and checked at start-up
export {}
