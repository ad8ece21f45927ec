// The differential corpus of drift's resource-policy evaluator (see scripts/policy-eval-record).
//   node scripts/policy-eval-corpus.mjs generate            -> cases (JSON) on stdout
//   IAM_SIMULATE_DIR=DIR node ... answer < cases > corpus   -> each case with iam-simulate's decision
// The answer mode is also what the test suite runs, where Node and the package are installed.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const ACCT = '290008131187';
const OTHER = '444455556666';
const KEY = `arn:aws:kms:ap-northeast-2:${ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_KEY = `arn:aws:kms:us-east-1:${ACCT}:key/9999ffff-12ab-34cd-56ef-1234567890ab`;
const OBJECT = `arn:aws:s3:::wealist-prod-files-${ACCT}/images/a.png`;
const DIST = `arn:aws:cloudfront::${ACCT}:distribution/E11S2DJHTYZKER`;
const DIST2 = `arn:aws:cloudfront::${ACCT}:distribution/EOTHERDIST0001`;
const DIST_OTHER_ACCT = `arn:aws:cloudfront::${OTHER}:distribution/E11S2DJHTYZKER`;
const ZONE = `arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ`;

const cf = { Service: 'cloudfront.amazonaws.com' };
const st = (o) => Object.assign({ Effect: 'Allow', Resource: '*' }, o);
const root = st({ Sid: 'Root', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'kms:*' });

// Policies: the incident statement, its near misses, and the operators key and bucket policies use.
const policies = {
  incident: [root, st({ Sid: 'AllowCloudFrontDecrypt', Principal: cf, Action: 'kms:Decrypt', Condition: { StringEquals: { 'AWS:SourceArn': DIST } } })],
  missing_statement: [root],
  like_any_distribution: [root, st({ Principal: cf, Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*'], Condition: { StringLike: { 'aws:SourceArn': `arn:aws:cloudfront::${ACCT}:distribution/*` } } })],
  arnlike_any_account: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:cloudfront::*:distribution/*' } } })],
  star_principal_source_arn: [st({ Principal: '*', Action: 'kms:Decrypt', Condition: { StringEquals: { 'aws:SourceArn': DIST } } })],
  star_principal_aws_star: [st({ Principal: { AWS: '*' }, Action: 'kms:Decrypt', Condition: { ArnEquals: { 'aws:SourceArn': DIST } } })],
  kms_star_for_cloudfront: [st({ Principal: cf, Action: 'kms:*' })],
  other_distribution: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { StringEquals: { 'AWS:SourceArn': DIST2 } } })],
  two_distributions: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { StringEquals: { 'AWS:SourceArn': [DIST2, DIST] } } })],
  encrypt_only: [st({ Principal: cf, Action: 'kms:Encrypt' })],
  deny_other_accounts: [st({ Principal: cf, Action: 'kms:Decrypt' }), st({ Effect: 'Deny', Principal: '*', Action: 'kms:*', Condition: { StringNotEquals: { 'aws:SourceAccount': ACCT } } })],
  deny_if_exists: [st({ Principal: cf, Action: 'kms:Decrypt' }), st({ Effect: 'Deny', Principal: '*', Action: 'kms:*', Condition: { StringNotEqualsIfExists: { 'aws:SourceAccount': ACCT } } })],
  deny_not_principal: [root, st({ Principal: cf, Action: 'kms:Decrypt' }), st({ Effect: 'Deny', NotPrincipal: { AWS: `arn:aws:iam::${ACCT}:role/admin` }, Action: 'kms:PutKeyPolicy' })],
  not_action: [st({ Principal: cf, NotAction: ['kms:Encrypt', 'kms:PutKeyPolicy'] })],
  not_resource: [st({ Principal: cf, Action: 'kms:Decrypt', Resource: undefined, NotResource: OTHER_KEY })],
  resource_this_key: [st({ Principal: cf, Action: 'kms:Decrypt', Resource: KEY })],
  resource_region_wildcard: [st({ Principal: cf, Action: 'kms:Decrypt', Resource: `arn:aws:kms:us-*:${ACCT}:key/*` })],
  secure_transport: [st({ Principal: cf, Action: 'kms:Decrypt' }), st({ Effect: 'Deny', Principal: '*', Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
  null_source_arn: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { Null: { 'aws:SourceArn': 'false' } } })],
  null_true: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { Null: { 'aws:SourceAccount': 'true' } } })],
  ignore_case: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { StringEqualsIgnoreCase: { 'aws:SourceArn': DIST.toUpperCase().replace('ARN:AWS:CLOUDFRONT', 'arn:aws:cloudfront') } } })],
  two_keys_and: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { StringEquals: { 'aws:SourceArn': DIST, 'aws:SourceAccount': ACCT } } })],
  two_operators_and: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { StringLike: { 'aws:SourceArn': '*E11S2DJHTYZKER' }, StringEquals: { 'aws:SourceAccount': ACCT } } })],
  not_like: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { StringNotLike: { 'aws:SourceArn': `arn:aws:cloudfront::${OTHER}:*` } } })],
  arn_not_equals: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { ArnNotEquals: { 'aws:SourceArn': DIST2 } } })],
  for_any_value: [st({ Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'kms:*', Condition: { 'ForAnyValue:StringEquals': { 'aws:PrincipalServiceNamesList': 'cloudfront.amazonaws.com' } } })],
  for_all_values: [st({ Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'kms:*', Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['team', 'env*'] } } })],
  dnssec: [root, st({ Sid: 'Allow Route 53 DNSSEC Service', Principal: { Service: 'dnssec-route53.amazonaws.com' }, Action: ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign'], Condition: { StringEquals: { 'aws:SourceAccount': ACCT }, ArnLike: { 'aws:SourceArn': 'arn:aws:route53:::hostedzone/*' } } })],
  bucket_policy: [st({ Sid: 'AllowCloudFrontServicePrincipal', Principal: cf, Action: 's3:GetObject', Resource: `arn:aws:s3:::wealist-prod-files-${ACCT}/*`, Condition: { StringEquals: { 'AWS:SourceArn': DIST } } })],
  bucket_policy_wrong_prefix: [st({ Principal: cf, Action: 's3:GetObject', Resource: `arn:aws:s3:::wealist-prod-files-${ACCT}/public/*`, Condition: { StringEquals: { 'AWS:SourceArn': DIST } } })],
  roles: [st({ Principal: { AWS: [`arn:aws:iam::${ACCT}:role/admin`, `arn:aws:iam::${OTHER}:root`] }, Action: ['kms:PutKeyPolicy', 'kms:Describe*'] })],
  lockout: [st({ Principal: { AWS: `arn:aws:iam::${ACCT}:role/app` }, Action: ['kms:Decrypt', 'kms:Encrypt'] })],
  action_case: [st({ Principal: cf, Action: 'KMS:decrypt' })],
  question_mark: [st({ Principal: cf, Action: 'kms:Decrypt', Condition: { StringLike: { 'aws:SourceArn': `arn:aws:cloudfront::${ACCT}:distribution/E11S2DJHTYZKE?` } } })],
};

const principals = {
  cloudfront: 'cloudfront.amazonaws.com',
  dnssec: 'dnssec-route53.amazonaws.com',
  admin_role: `arn:aws:iam::${ACCT}:role/admin`,
  admin_session: `arn:aws:sts::${ACCT}:assumed-role/admin/night-shift`,
  app_role: `arn:aws:iam::${ACCT}:role/app`,
  other_account_role: `arn:aws:iam::${OTHER}:role/ops`,
};
const requests = [
  ['cloudfront', 'kms:Decrypt', KEY, { 'aws:SourceArn': DIST, 'aws:SourceAccount': ACCT, 'aws:SecureTransport': 'true' }],
  ['cloudfront', 'kms:Decrypt', KEY, { 'aws:SourceArn': DIST }],
  ['cloudfront', 'kms:Decrypt', KEY, {}],
  ['cloudfront', 'kms:Decrypt', KEY, { 'aws:SourceArn': DIST2, 'aws:SourceAccount': ACCT }],
  ['cloudfront', 'kms:Decrypt', KEY, { 'aws:SourceArn': DIST_OTHER_ACCT, 'aws:SourceAccount': OTHER }],
  ['cloudfront', 'kms:Decrypt', KEY, { 'aws:SourceArn': DIST, 'aws:SourceAccount': ACCT, 'aws:SecureTransport': 'false' }],
  ['cloudfront', 'kms:Decrypt', OTHER_KEY, { 'aws:SourceArn': DIST, 'aws:SourceAccount': ACCT }],
  ['cloudfront', 'kms:Encrypt', KEY, { 'aws:SourceArn': DIST, 'aws:SourceAccount': ACCT }],
  ['cloudfront', 'kms:GenerateDataKey', KEY, { 'aws:SourceArn': DIST }],
  ['cloudfront', 's3:GetObject', OBJECT, { 'aws:SourceArn': DIST, 'aws:SourceAccount': ACCT }],
  ['cloudfront', 's3:GetObject', OBJECT, { 'aws:SourceArn': DIST2 }],
  ['dnssec', 'kms:Sign', KEY, { 'aws:SourceArn': ZONE, 'aws:SourceAccount': ACCT }],
  ['dnssec', 'kms:GetPublicKey', KEY, { 'aws:SourceArn': ZONE, 'aws:SourceAccount': OTHER }],
  ['admin_role', 'kms:PutKeyPolicy', KEY, {}],
  ['admin_session', 'kms:PutKeyPolicy', KEY, {}],
  ['app_role', 'kms:PutKeyPolicy', KEY, {}],
  ['app_role', 'kms:Decrypt', KEY, { 'aws:PrincipalServiceNamesList': ['cloudfront.amazonaws.com', 'ec2.amazonaws.com'] }],
  ['app_role', 'kms:TagResource', KEY, { 'aws:TagKeys': ['team', 'environment'] }],
  ['app_role', 'kms:TagResource', KEY, { 'aws:TagKeys': ['team', 'owner'] }],
  ['other_account_role', 'kms:DescribeKey', KEY, {}],
];

function generate() {
  const cases = [];
  for (const [pname, statements] of Object.entries(policies)) {
    for (const [who, action, resource, context] of requests) {
      const policy = { Version: '2012-10-17', Statement: JSON.parse(JSON.stringify(statements)) };
      cases.push({
        name: `${pname} / ${who} ${action} ${resource.split(':').slice(2, 3)}${Object.keys(context).length ? ' ' + Object.entries(context).map(([k, v]) => `${k}=${[].concat(v).map((x) => x.split(/[:/]/).pop()).join('+')}`).join(',') : ''}`,
        policy,
        request: { principal: principals[who], action, resource, context },
      });
    }
  }
  process.stdout.write(JSON.stringify(cases, null, 1) + '\n');
}

async function answer() {
  const require = createRequire(process.env.IAM_SIMULATE_DIR + '/');
  const sim = require('@cloud-copilot/iam-simulate');
  const version = JSON.parse(readFileSync(`${process.env.IAM_SIMULATE_DIR}/node_modules/@cloud-copilot/iam-simulate/package.json`, 'utf8')).version;
  const cases = JSON.parse(readFileSync(0, 'utf8'));
  const out = [];
  for (const c of cases) {
    const r = c.request;
    const res = await sim.runSimulation({
      request: {
        principal: r.principal, action: r.action,
        resource: { resource: r.resource, accountId: r.resource.split(':')[4] || ACCT },
        contextVariables: r.context,
      },
      identityPolicies: [], serviceControlPolicies: [], resourceControlPolicies: [],
      resourcePolicy: c.policy,
    }, {});
    const result = res.result?.analysis?.resourceAnalysis?.result;
    out.push(Object.assign({}, c, { expected: result ?? `oracle error: ${JSON.stringify(res.errors ?? res).slice(0, 200)}` }));
  }
  process.stdout.write(`{"oracle": ${JSON.stringify(version)}, "cases": [\n${out.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`);
}

if (process.argv[2] === 'generate') generate();
else if (process.argv[2] === 'answer') await answer();
else { console.error('usage: policy-eval-corpus.mjs generate|answer'); process.exit(2); }
