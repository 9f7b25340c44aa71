// SPDX-License-Identifier: Apache-2.0
//
// Benchmark helper for bench/engine.py: times @cloud-copilot/iam-simulate inside node.
//
// Reads {"warmup": W, "repeat": R, "simulations": [Simulation, ...]} from stdin. Runs every
// simulation W times untimed (JIT warm-up), then R times, timing each runSimulation call with
// process.hrtime.bigint() (so node start-up, module loading and JSON I/O are excluded). Writes
// one JSON line: {"iam_simulate_version", "node", "decisions", "errors", "timings_ns"}, where
// timings_ns holds R*N numbers in run order (pass by pass).
//
// This file is our own code. iam-simulate (AGPL) is only run, imported from the copy
// installed under tests/differential/node_modules; none of its source is copied here.

import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const pkgDir = resolve(here, '../tests/differential/node_modules/@cloud-copilot/iam-simulate')
const { runSimulation } = await import(pathToFileURL(resolve(pkgDir, 'dist/esm/index.js')).href)
const version = JSON.parse(readFileSync(resolve(pkgDir, 'package.json'), 'utf8')).version

const DECISIONS = { Allowed: 'Allow', ExplicitlyDenied: 'ExplicitDeny', ImplicitlyDenied: 'ImplicitDeny' }

const doc = JSON.parse(readFileSync(0, 'utf8'))
const sims = doc.simulations
const warmup = doc.warmup ?? 1
const repeat = doc.repeat ?? 1

const decisions = new Array(sims.length)
const errors = {}
for (let w = 0; w < warmup; w++) {
  for (let i = 0; i < sims.length; i++) await runSimulation(sims[i], { simulationMode: 'Strict' })
}
const timings = []
for (let r = 0; r < repeat; r++) {
  for (let i = 0; i < sims.length; i++) {
    const t0 = process.hrtime.bigint()
    const res = await runSimulation(sims[i], { simulationMode: 'Strict' })
    const t1 = process.hrtime.bigint()
    timings.push(Number(t1 - t0))
    if (r === 0) {
      if (res.resultType === 'error') {
        decisions[i] = 'Error'
        errors[i] = res.errors
      } else {
        decisions[i] = DECISIONS[res.overallResult] ?? res.overallResult
      }
    }
  }
}
process.stdout.write(
  JSON.stringify({ iam_simulate_version: version, node: process.version, decisions, errors, timings_ns: timings }) +
    '\n'
)
