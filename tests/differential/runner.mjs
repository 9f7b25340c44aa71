// SPDX-License-Identifier: Apache-2.0
//
// localiam differential runner.
//
// Reads {"cases": [CASE, ...]} (optionally with a top-level "mode") from stdin,
// evaluates every case with @cloud-copilot/iam-simulate in this one process,
// and writes {"results": [RESULT, ...]} to stdout in the same order.
//
// This file is our own code. iam-simulate (AGPL) is only *run* as a dependency
// installed under node_modules; none of its source is copied here.
// See README.md in this directory for the CASE/RESULT formats and the mapping.

import { getDenialReasons, getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate'

const DECISIONS = {
  Allowed: 'Allow',
  ExplicitlyDenied: 'ExplicitDeny',
  ImplicitlyDenied: 'ImplicitDeny'
}

const MODES = new Set(['Strict', 'Discovery'])

class CaseError extends Error {}

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = []
    process.stdin.on('data', (c) => chunks.push(c))
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    process.stdin.on('error', reject)
  })
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function requireString(value, what) {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CaseError(`case.${what} must be a non-empty string`)
  }
  return value
}

// Context values: iam-simulate only understands strings and arrays of strings.
// Numbers/booleans are stringified (iam-simulate never matches a non-string scalar);
// null means "key absent" and is dropped.
function mapContext(context) {
  if (context === undefined || context === null) return {}
  if (!isObject(context)) throw new CaseError('case.context must be an object')
  const out = {}
  for (const [key, value] of Object.entries(context)) {
    if (value === null || value === undefined) continue
    if (Array.isArray(value)) {
      out[key] = value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    } else if (typeof value === 'string') {
      out[key] = value
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      out[key] = String(value)
    } else {
      throw new CaseError(`case.context["${key}"] must be a string, number, boolean or list`)
    }
  }
  return out
}

function mapNamedPolicies(list, what, defaultPrefix) {
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) throw new CaseError(`case.${what} must be a list`)
  return list.map((p, i) => {
    if (!isObject(p) || !('document' in p)) {
      throw new CaseError(`case.${what}[${i}] must be {"name": ..., "document": {...}}`)
    }
    return { name: typeof p.name === 'string' && p.name ? p.name : `${defaultPrefix}-${i}`, policy: p.document }
  })
}

// True for the AWS-managed RCPFullAWSAccess shape (unconditional Allow of
// Principal "*", Action "*", Resource "*"). iam-simulate adds that policy to
// every RCP level itself and rejects Allow statements in RCPs, so we drop it.
function isRcpFullAccess(policy) {
  if (!isObject(policy.policy)) return false
  const stmts = [policy.policy.Statement].flat()
  const one = (v) => (Array.isArray(v) ? v.length === 1 && v[0] === '*' : v === '*')
  return (
    stmts.length > 0 &&
    stmts.every(
      (s) =>
        isObject(s) &&
        s.Effect === 'Allow' &&
        (one(s.Principal) || (isObject(s.Principal) && Object.keys(s.Principal).length === 1 && one(s.Principal.AWS))) &&
        one(s.Action) &&
        one(s.Resource) &&
        s.Condition === undefined &&
        s.NotAction === undefined &&
        s.NotResource === undefined &&
        s.NotPrincipal === undefined
    )
  )
}

function mapOrgLevels(levels, what) {
  if (levels === undefined || levels === null) return { levels: [], dropped: 0 }
  if (!Array.isArray(levels)) throw new CaseError(`case.${what} must be a list of lists or null`)
  let dropped = 0
  const mapped = levels.map((level, i) => {
    if (!Array.isArray(level)) throw new CaseError(`case.${what}[${i}] must be a list of policies`)
    let policies = mapNamedPolicies(level, `${what}[${i}]`, `${what}-${i}`)
    if (what === 'rcps') {
      const before = policies.length
      policies = policies.filter((p) => !isRcpFullAccess(p))
      dropped += before - policies.length
    }
    return { orgIdentifier: `level-${i}`, policies }
  })
  return { levels: mapped, dropped }
}

function buildSimulation(c) {
  if (!isObject(c)) throw new CaseError('case must be an object')
  let principal = c.principal
  if (!(isObject(principal) && principal.type === 'Anonymous')) {
    principal = requireString(principal, 'principal')
  }
  const action = requireString(c.action, 'action')
  if (!isObject(c.resource)) throw new CaseError('case.resource must be {"arn": ..., "account": ...}')
  const arn = requireString(c.resource.arn, 'resource.arn')
  const account = c.resource.account
  if (account !== undefined && account !== null && typeof account !== 'string') {
    throw new CaseError('case.resource.account must be a string or null')
  }

  const pb = c.permissions_boundary
  if (pb !== undefined && pb !== null && (!isObject(pb) || !('document' in pb))) {
    throw new CaseError('case.permissions_boundary must be null or {"name": ..., "document": {...}}')
  }
  const scps = mapOrgLevels(c.scps, 'scps')
  const rcps = mapOrgLevels(c.rcps, 'rcps')

  const simulation = {
    request: {
      principal,
      action,
      resource: { resource: arn, accountId: account ?? undefined },
      contextVariables: mapContext(c.context)
    },
    identityPolicies: mapNamedPolicies(c.identity_policies, 'identity_policies', 'identity'),
    serviceControlPolicies: scps.levels,
    resourceControlPolicies: rcps.levels
  }
  if (pb !== undefined && pb !== null) {
    simulation.permissionBoundaryPolicies = [{ name: pb.name || 'permissions-boundary', policy: pb.document }]
  }
  if (c.session_policy !== undefined && c.session_policy !== null) simulation.sessionPolicy = c.session_policy
  if (c.resource_policy !== undefined && c.resource_policy !== null) simulation.resourcePolicy = c.resource_policy
  return { simulation, droppedRcpFullAccess: rcps.dropped }
}

function flattenErrors(errors) {
  const parts = []
  for (const [group, value] of Object.entries(errors)) {
    if (group === 'message') continue
    if (Array.isArray(value)) {
      for (const e of value) parts.push(`${group}: ${typeof e === 'string' ? e : `${e.path}: ${e.message}`}`)
    } else if (isObject(value)) {
      for (const [name, list] of Object.entries(value)) {
        for (const e of list) parts.push(`${group}[${name}]: ${e.path}: ${e.message}`)
      }
    }
  }
  return parts.length ? `${errors.message}: ${parts.join('; ')}` : errors.message
}

function analysisDetail(analysis) {
  const policyResults = {
    identity: analysis.identityAnalysis?.result ?? null,
    resource: analysis.resourceAnalysis?.result ?? null,
    permissions_boundary: analysis.permissionBoundaryAnalysis?.result ?? null,
    session: analysis.sessionAnalysis?.result ?? null,
    scp: analysis.scpAnalysis && analysis.scpAnalysis.ouAnalysis.length ? analysis.scpAnalysis.result : null,
    rcp: analysis.rcpAnalysis && analysis.rcpAnalysis.ouAnalysis.length ? analysis.rcpAnalysis.result : null
  }
  const detail = {
    same_account: analysis.sameAccount ?? null,
    policy_results: policyResults,
    blocked_by: analysis.blockedBy ?? []
  }
  if (analysis.conditions !== undefined) detail.discovery_conditions = analysis.conditions
  if (analysis.result === 'Allowed') detail.grants = safe(() => getGrantReasons(analysis))
  else detail.denials = safe(() => getDenialReasons(analysis))
  return detail
}

function safe(fn) {
  try {
    return fn()
  } catch (e) {
    return { error: String(e?.message ?? e) }
  }
}

async function runCase(c, defaultMode, index) {
  const id = isObject(c) && c.id !== undefined ? c.id : `#${index}`
  try {
    const mode = isObject(c) && c.mode !== undefined ? c.mode : defaultMode
    if (!MODES.has(mode)) throw new CaseError(`mode must be one of ${[...MODES].join(', ')}`)
    const { simulation, droppedRcpFullAccess } = buildSimulation(c)
    const res = await runSimulation(simulation, { simulationMode: mode })
    if (res.resultType === 'error') {
      return { id, decision: 'Error', error: flattenErrors(res.errors), detail: { iam_simulate_errors: res.errors } }
    }
    const decision = DECISIONS[res.overallResult]
    if (!decision) throw new Error(`unexpected overallResult ${res.overallResult}`)
    let detail
    if (res.resultType === 'single') {
      detail = {
        result_type: 'single',
        resource_type: res.result.resourceType ?? null,
        ignored_context_keys: res.result.ignoredContextKeys ?? [],
        ...analysisDetail(res.result.analysis)
      }
    } else {
      detail = {
        result_type: 'wildcard',
        patterns: res.results.map((r) => ({
          pattern: r.resourcePattern,
          resource_type: r.resourceType,
          result: DECISIONS[r.analysis.result] ?? r.analysis.result,
          ignored_context_keys: r.ignoredContextKeys ?? [],
          ...analysisDetail(r.analysis)
        }))
      }
    }
    if (droppedRcpFullAccess) detail.dropped_rcp_full_access = droppedRcpFullAccess
    if (mode !== 'Strict') detail.mode = mode
    return { id, decision, error: null, detail }
  } catch (e) {
    const kind = e instanceof CaseError ? 'invalid case' : 'iam-simulate exception'
    return { id, decision: 'Error', error: `${kind}: ${e?.message ?? e}`, detail: null }
  }
}

async function main() {
  let doc
  try {
    doc = JSON.parse(await readStdin())
  } catch (e) {
    process.stderr.write(`runner: cannot parse stdin as JSON: ${e.message}\n`)
    process.exitCode = 2
    return
  }
  if (!isObject(doc) || !Array.isArray(doc.cases)) {
    process.stderr.write('runner: expected {"cases": [...]}\n')
    process.exitCode = 2
    return
  }
  const defaultMode = doc.mode ?? 'Strict'
  const results = []
  for (let i = 0; i < doc.cases.length; i++) {
    results.push(await runCase(doc.cases[i], defaultMode, i))
  }
  const out = JSON.stringify({ results }) + '\n'
  process.stdout.write(out)
}

await main()
