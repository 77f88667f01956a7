/** What the token bench's parent and both peers agree on. */
export const AUDIENCE = 'https://api.example.test'
export const TOKEN_TTL = 300
