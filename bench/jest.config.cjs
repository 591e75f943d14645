// The benchmarks' pure parts (the fault-injection ledger); the runs themselves are npm scripts, not tests.
module.exports = { ...require('../jest.preset.cjs') };
