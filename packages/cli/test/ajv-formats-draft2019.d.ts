// The package ships no types: the one function the SBOM tests call.
declare module 'ajv-formats-draft2019' {
  import type { Ajv } from 'ajv';
  export default function addDraft2019Formats(ajv: Ajv): Ajv;
}
