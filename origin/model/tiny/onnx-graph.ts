// A small ONNX graph builder over onnx-proto: named inputs/outputs with dynamic axes, rawData initializers.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

export type ElemType = "float" | "int64" | "int32";
/** A dimension: a fixed size or a dim_param name (a dynamic axis). */
export type Dim = number | string;
export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

const ELEM: Record<ElemType, number> = {
  float: DataType.FLOAT,
  int64: DataType.INT64,
  int32: DataType.INT32,
};

/** ONNX opset every tiny graph is built against (LayerNormalization needs 17). */
export const OPSET = 17;

function valueInfo(
  name: string,
  elem: ElemType,
  dims: readonly Dim[],
): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[elem],
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  if (typeof value === "string") {
    return { name, type: AttrType.STRING, s: new TextEncoder().encode(value) };
  }
  if (typeof value === "number") return { name, type: AttrType.INT, i: value };
  if (Array.isArray(value)) return { name, type: AttrType.INTS, ints: value };
  if ("float" in value) return { name, type: AttrType.FLOAT, f: value.float };
  return { name, type: AttrType.FLOATS, floats: value.floats };
}

function littleEndianBytes(values: Float32Array | BigInt64Array | Int32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * values.BYTES_PER_ELEMENT);
  const view = new DataView(bytes.buffer);
  values.forEach((v: number | bigint, i: number) => {
    if (values instanceof Float32Array) view.setFloat32(i * 4, v as number, true);
    else if (values instanceof Int32Array) view.setInt32(i * 4, v as number, true);
    else view.setBigInt64(i * 8, v as bigint, true);
  });
  return bytes;
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(private readonly name: string) {}

  input(name: string, elem: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elem, dims));
    return name;
  }

  output(name: string, elem: ElemType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, elem, dims));
  }

  /** A float initializer (weights). */
  weight(name: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size)
      throw new Error(`${name}: ${values.length} values for dims ${dims}`);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: DataType.FLOAT,
      rawData: littleEndianBytes(values),
    });
    return name;
  }

  /** An int64 initializer (shapes, axes, indices); shared when the same values recur. */
  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i64:${dims.join("x")}:${values.join(",")}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = `const_i64_${this.constants.size}`;
    const raw = littleEndianBytes(BigInt64Array.from(values, (v) => BigInt(v)));
    this.initializers.push({ name, dims: [...dims], dataType: DataType.INT64, rawData: raw });
    this.constants.set(key, name);
    return name;
  }

  /** A float constant (scalars when dims is []); shared when the same values recur. */
  floats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `f32:${dims.join("x")}:${values.join(",")}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = `const_f32_${this.constants.size}`;
    this.weight(name, values, dims);
    this.constants.set(key, name);
    return name;
  }

  /** Adds a node and returns its first output name. */
  op(type: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.opMulti(type, inputs, 1, attrs)[0]!;
  }

  opMulti(
    type: string,
    inputs: readonly string[],
    outputCount: number,
    attrs: Record<string, AttrValue> = {},
  ): string[] {
    const id = this.counter++;
    const outs = Array.from({ length: outputCount }, (_, i) => `${type.toLowerCase()}_${id}_${i}`);
    this.nodes.push({
      name: `${type}_${id}`,
      opType: type,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** Routes an internal value to a declared graph output name. */
  emit(value: string, outputName: string): void {
    this.nodes.push({
      name: `emit_${outputName}`,
      opType: "Identity",
      input: [value],
      output: [outputName],
    });
  }

  toBytes(): Uint8Array {
    const model: onnxProto.onnx.IModelProto = {
      irVersion: 8,
      producerName: "darkroom-tiny",
      producerVersion: "1",
      opsetImport: [{ domain: "", version: OPSET }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}
