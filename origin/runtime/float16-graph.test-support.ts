// Test support: redeclares a graph's float32 inputs as float16 (as GPU exports have them), cast back.
import { readFile, writeFile } from "node:fs/promises";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

/** Declares every float32 input of the graph at `path` float16, in place. */
export async function declareFloat16Inputs(path: string): Promise<void> {
  const model = onnx.ModelProto.decode(await readFile(path));
  const graph = model.graph!;
  const casts: onnxProto.onnx.INodeProto[] = [];
  for (const input of graph.input ?? []) {
    const tensor = input.type?.tensorType;
    if (!tensor || tensor.elemType !== FLOAT) continue;
    const inner = `${input.name}__float32`;
    for (const node of graph.node ?? []) {
      node.input = (node.input ?? []).map((n) => (n === input.name ? inner : n));
    }
    casts.push({
      name: `cast_${input.name}`,
      opType: "Cast",
      input: [input.name!],
      output: [inner],
      attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
    });
    tensor.elemType = FLOAT16;
  }
  graph.node = [...casts, ...(graph.node ?? [])];
  await writeFile(path, onnx.ModelProto.encode(model).finish());
}
