// Validates bodies against OpenAI's own Images API schemas (../shared/conformance): ImagesResponse, ErrorResponse.
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { expect } from "vitest";
import schema from "../../../shared/conformance/openai-images.schema.json";

const ajv = new Ajv2020({ allowUnionTypes: true, strict: false });
addFormats(ajv);
ajv.addSchema(schema);

function validator(name: "ImagesResponse" | "ErrorResponse") {
  const validate = ajv.getSchema(`${schema.$id}#/$defs/${name}`);
  if (!validate) throw new Error(`conformance schema has no ${name}`);
  return validate;
}

export function expectConformant(name: "ImagesResponse" | "ErrorResponse", body: unknown): void {
  const validate = validator(name);
  const ok = validate(body);
  expect(ok, JSON.stringify(validate.errors)).toBe(true);
}
