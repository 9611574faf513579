// The vectors shared by every client kit (clients/vectors.json).
import { readFileSync } from 'node:fs';

export const vectors = JSON.parse(readFileSync(new URL('../../vectors.json', import.meta.url), 'utf8'));
