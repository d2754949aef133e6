// onnxruntime 1.30 starts Microsoft's telemetry client with the first session: it leaves an empty
// `mat-debug-<pid>.log` in the temporary folder of every process and, by its own log messages,
// uploads events over HTTPS where it finds a CA bundle. An origin sends nothing its operator did
// not ask for, so it is off unless `ORT_DISABLE_TELEMETRY` is set already (`0` turns it back on).
//
// onnxruntime reads the variable when its environment is created, with the first session in any
// thread. Assigning process.env on the main thread sets the process's own environment, which a
// worker's native code reads too; so every main-thread module that leads to a session imports this
// one before any session or worker exists.
process.env.ORT_DISABLE_TELEMETRY ??= "1";
