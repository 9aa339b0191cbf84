import { z } from 'zod';
import { profileSchema } from './profile-schema.js';

/** The JSON Schema of profile.yaml, for editors (checked in as schema/profile.schema.json). */
export function profileJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(profileSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://distroforge.dev/schema/profile.schema.json',
    title: 'distroforge profile',
  };
}
