// The deployment's assertions, offline: synthesized with fixture outputs, checked resource by resource.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConsoleStack } from '../lib/console-stack';

function synth(): { template: Template; json: any } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-deploy-'));
  const code = path.join(dir, 'lambda');
  const site = path.join(dir, 'site', 'pkg');
  fs.mkdirSync(code, { recursive: true });
  fs.mkdirSync(site, { recursive: true });
  fs.writeFileSync(path.join(code, 'bootstrap'), '#!/bin/sh\n');
  fs.writeFileSync(path.join(site, 'app.css'), 'body{}');
  const app = new App({ outdir: path.join(dir, 'cdk.out') });
  const stack = new ConsoleStack(app, 'ConsoleTest', {
    env: { account: '123456789012', region: 'us-east-1' },
    platformStackName: 'backgroundagent-dev',
    platform: {
      registryTableName: 'backgroundagent-dev-LinearWorkspaceRegistry',
      userMappingTableName: 'backgroundagent-dev-LinearUserMapping',
      projectMappingTableName: 'backgroundagent-dev-LinearProjectMapping',
      repoTableName: 'backgroundagent-dev-RepoTable',
      webhookSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:LinearWebhookSecret-AbCdEf',
      userPoolId: 'us-east-1_Example1',
      processorLogGroup: '/aws/lambda/backgroundagent-dev-LinearIntegrationWebhookProc-AbC123',
    },
    publicUrl: 'https://console.example.com/',
    lambdaCodeDir: code,
    siteDir: path.dirname(site),
  });
  const template = Template.fromStack(stack);
  if (process.env.CONSOLE_TEMPLATE_OUT) fs.writeFileSync(process.env.CONSOLE_TEMPLATE_OUT, JSON.stringify(template.toJSON(), null, 1));
  return { template, json: template.toJSON() };
}

const { template, json } = synth();

test('the incidents table and the alert topic exist, and the console may publish to the topic only', () => {
  template.hasResource('AWS::DynamoDB::Table', {
    Properties: Match.objectLike({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    }),
    DeletionPolicy: 'Retain',
  });
  template.resourceCountIs('AWS::SNS::Topic', 1);
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const publish = statements.find((s) => s.Sid === 'AlertTopics');
  assert.equal(publish.Action, 'sns:Publish');
  assert.doesNotMatch(JSON.stringify(publish.Resource), /"\*"/);
  template.hasOutput('AlertTopicArn', {});
});

test('the role may read and Put project mappings and only Scan the repository table', () => {
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const projects = statements.find((s) => s.Sid === 'ProjectMappings');
  assert.deepEqual([...projects.Action].sort(), ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan']);
  assert.match(JSON.stringify(projects.Resource), /table\/backgroundagent-dev-LinearProjectMapping"/);
  assert.doesNotMatch(JSON.stringify(projects.Resource), /index/);
  const repos = statements.find((s) => s.Sid === 'PlatformRepositories');
  assert.equal(repos.Action, 'dynamodb:Scan');
  assert.match(JSON.stringify(repos.Resource), /table\/backgroundagent-dev-RepoTable"/);
  // Neither table is in the broad statement of the registry and the user mappings.
  const broad = JSON.stringify(statements.find((s) => s.Sid === 'PlatformAndConsoleTables').Resource);
  assert.doesNotMatch(broad, /LinearProjectMapping|RepoTable/);
});

test('the readiness check may describe the registry table and no other (found by the rehearsal)', () => {
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const describing = statements.filter((s) => [s.Action].flat().includes('dynamodb:DescribeTable'));
  assert.equal(describing.length, 1);
  assert.equal(describing[0].Action, 'dynamodb:DescribeTable');
  assert.match(JSON.stringify(describing[0].Resource), /table\/backgroundagent-dev-LinearWorkspaceRegistry"\]/);
});

test('audit events go to a log group of the console kept 400 days, whose one stream the role may only write to', () => {
  template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 400 }, DeletionPolicy: 'Retain' });
  template.hasResourceProperties('AWS::Logs::LogStream', { LogStreamName: 'audit' });
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const logging = statements.filter((s) => JSON.stringify(s.Action).includes('logs:PutLogEvents'));
  assert.equal(logging.length, 1);
  assert.equal(logging[0].Action, 'logs:PutLogEvents');
  assert.match(JSON.stringify(logging[0].Resource), /:log-stream:audit"\]/);
  const fn = Object.values(json.Resources).find((r: any) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.PLATFORM_STACK_NAME) as any;
  assert.equal(fn.Properties.Environment.Variables.CONSOLE_AUDIT_LOG_STREAM, 'audit');
  assert.ok(fn.Properties.Environment.Variables.CONSOLE_AUDIT_LOG_GROUP.Ref);
});

test("the role may only filter the platform's webhook processor log group, and the console is told its name", () => {
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const reading = statements.filter((s) => JSON.stringify(s.Action).includes('logs:') && !JSON.stringify(s.Action).includes('PutLogEvents'));
  assert.equal(reading.length, 1, JSON.stringify(reading));
  assert.equal(reading[0].Action, 'logs:FilterLogEvents');
  const resources = JSON.stringify(reading[0].Resource);
  assert.match(resources, /:log-group:\/aws\/lambda\/backgroundagent-dev-LinearIntegrationWebhookProc-AbC123"\]/);
  assert.match(resources, /:log-group:\/aws\/lambda\/backgroundagent-dev-LinearIntegrationWebhookProc-AbC123:\*"\]/);
  assert.equal(reading[0].Resource.length, 2, 'that group only');
  const fn = Object.values(json.Resources).find((r: any) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.PLATFORM_STACK_NAME) as any;
  assert.equal(fn.Properties.Environment.Variables.PLATFORM_PROCESSOR_LOG_GROUP, '/aws/lambda/backgroundagent-dev-LinearIntegrationWebhookProc-AbC123');
});

test('the role may put events on the default bus only, and the console is told the bus', () => {
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const putting = statements.filter((s) => JSON.stringify(s.Action).includes('events:'));
  assert.equal(putting.length, 1, JSON.stringify(putting));
  assert.equal(putting[0].Action, 'events:PutEvents');
  assert.match(JSON.stringify(putting[0].Resource), /:event-bus\/default"\]/);
  const fn = Object.values(json.Resources).find((r: any) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.PLATFORM_STACK_NAME) as any;
  assert.equal(fn.Properties.Environment.Variables.CONSOLE_EVENT_BUS, 'default');
});

test('the console tables are on demand, expire by TTL and keep point-in-time recovery', () => {
  template.resourceCountIs('AWS::DynamoDB::Table', 3);
  template.hasResourceProperties('AWS::DynamoDB::Table', {
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
    TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  });
  template.hasResource('AWS::DynamoDB::Table', {
    Properties: Match.objectLike({ KeySchema: [{ AttributeName: 'day', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }] }),
    DeletionPolicy: 'Retain',
  });
});

test('a member\'s sessions are one Query of an index that keeps no session data, and the role may query it', () => {
  const sessions: any = Object.values(json.Resources).find(
    (r: any) => r.Type === 'AWS::DynamoDB::Table' && r.Properties.TimeToLiveSpecification?.AttributeName === 'expires_at',
  );
  const index = sessions.Properties.GlobalSecondaryIndexes.find((i: any) => i.IndexName === 'ByMember');
  assert.deepEqual(index.KeySchema, [{ AttributeName: 'member', KeyType: 'HASH' }]);
  assert.equal(index.Projection.ProjectionType, 'INCLUDE');
  assert.ok(!index.Projection.NonKeyAttributes.includes('data'), 'a session\'s data stays out of the index');
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const tables = JSON.stringify(statements.find((s) => s.Sid === 'PlatformAndConsoleTables').Resource);
  assert.match(tables, /\/index\/ByMember/);
});

test('the sessions table is sealed with a generated key only the console reads', () => {
  template.hasResourceProperties('AWS::SecretsManager::Secret', {
    GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
  });
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const key = statements.find((s) => s.Sid === 'SessionKey');
  assert.equal(key.Action, 'secretsmanager:GetSecretValue');
  assert.match(JSON.stringify(key.Resource), /SessionKey/);
  const fn: any = Object.values(json.Resources).find((r: any) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.CONSOLE_SESSIONS_TABLE);
  assert.match(JSON.stringify(fn.Properties.Environment.Variables.CONSOLE_SESSION_KEY_SECRET_ARN), /SessionKey/);
});

test('the three role groups are made in the platform pool, and the console may read their members', () => {
  for (const group of ['linear-console-admins', 'linear-console-operators', 'linear-console-viewers']) {
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { UserPoolId: 'us-east-1_Example1', GroupName: group });
  }
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const users = statements.find((s) => s.Sid === 'PlatformUsers');
  assert.ok([users.Action].flat().includes('cognito-idp:ListUsersInGroup'), JSON.stringify(users));
  assert.ok([users.Action].flat().includes('cognito-idp:AdminGetUser'), JSON.stringify(users));
  // The pool's MFA configuration decides whose second factor members get (Cognito's or the console's).
  assert.ok([users.Action].flat().includes('cognito-idp:GetUserPoolMfaConfig'), JSON.stringify(users));
  assert.doesNotMatch(JSON.stringify(users.Resource), /"\*"/);
  // The one Cognito write: platform users made from Linear members, on the platform's pool only.
  const writes = statements.flatMap((s) => [s.Action].flat().filter((a: string) => /^cognito-idp:Admin(?!GetUser)/.test(a)));
  assert.deepEqual(writes, ['cognito-idp:AdminCreateUser']);
  assert.match(JSON.stringify(users.Resource), /userpool\/us-east-1_Example1/);
});

test('no DynamoDB or Secrets Manager permission reaches every resource', () => {
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const scoped = statements.filter((s) => [s.Action].flat().some((a: string) => /^(dynamodb|secretsmanager):/.test(a)));
  assert.ok(scoped.length >= 3, 'the table and secret statements are there');
  for (const s of scoped) {
    for (const r of [s.Resource].flat()) assert.notEqual(r, '*', `unscoped: ${JSON.stringify(s)}`);
  }
  const bundles = statements.find((s) => s.Sid === 'WorkspaceTokenBundles');
  assert.match(JSON.stringify(bundles.Resource), /secret:bgagent-linear-oauth-\*/);
  const describe = statements.find((s) => s.Sid === 'PlatformStackOutputs');
  assert.match(JSON.stringify(describe.Resource), /stack\/backgroundagent-dev\/\*/);
});

test('the function names the platform stack and runs the binary Lambda calls bootstrap', () => {
  template.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'provided.al2023',
    Handler: 'bootstrap',
    Environment: {
      Variables: Match.objectLike({
        PLATFORM_STACK_NAME: 'backgroundagent-dev',
        CONSOLE_PUBLIC_URL: 'https://console.example.com/',
        // CloudFront and the function URL: the viewer's address is second from the right.
        CONSOLE_TRUSTED_PROXY_HOPS: '2',
      }),
    },
  });
  template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
});

test('a schedule invokes the same function for the sweep', () => {
  const fnId = Object.entries(json.Resources).find(([, r]: [string, any]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'bootstrap')![0];
  template.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'rate(15 minutes)',
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
  });
});

test('CloudFront serves the site from S3 and the rest from the function; the redirect URI is an output', () => {
  template.hasResourceProperties('AWS::CloudFront::Distribution', {
    DistributionConfig: Match.objectLike({ CacheBehaviors: [Match.objectLike({ PathPattern: '/pkg/*' })] }),
  });
  template.hasOutput('LinearRedirectUri', { Value: 'https://console.example.com/linear/callback' });
});

test('CloudFront adds the origin secret to every request to the function, which refuses any without it', () => {
  const dist: any = Object.values(json.Resources).find((r: any) => r.Type === 'AWS::CloudFront::Distribution');
  const origins: any[] = dist.Properties.DistributionConfig.Origins;
  const fnOrigin = origins.find((o) => o.CustomOriginConfig);
  const header = fnOrigin.OriginCustomHeaders.find((h: any) => h.HeaderName === 'x-origin-verify');
  const value = JSON.stringify(header.HeaderValue);
  assert.match(value, /resolve:secretsmanager:/, 'a dynamic reference, not the value');
  assert.match(value, /OriginSecret/);
  // The S3 origin (the site) does not get it.
  assert.ok(origins.filter((o) => o.S3OriginConfig).every((o) => !o.OriginCustomHeaders));
  const fn: any = Object.values(json.Resources).find((r: any) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'bootstrap');
  assert.match(JSON.stringify(fn.Properties.Environment.Variables.CONSOLE_ORIGIN_SECRET_ARN), /OriginSecret/);
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const read = statements.find((s) => s.Sid === 'OriginSecret');
  assert.equal(read.Action, 'secretsmanager:GetSecretValue');
  assert.match(JSON.stringify(read.Resource), /OriginSecret/);
});

test('hashed site files are uploaded cached for a year, the plain ones revalidated, and the function links the hashed names', () => {
  const uploads = Object.values(json.Resources).filter((r: any) => r.Type === 'Custom::CDKBucketDeployment') as any[];
  assert.equal(uploads.length, 2);
  const hashed = uploads.find((u) => (u.Properties.Include ?? []).includes('pkg/app.????????????????*'));
  const plain = uploads.find((u) => (u.Properties.Exclude ?? []).includes('pkg/app.????????????????*'));
  assert.ok(hashed && plain, 'one upload for the hashed names, one for the rest');
  assert.deepEqual(hashed.Properties.SystemMetadata, { 'cache-control': 'public, max-age=31536000, immutable' });
  assert.deepEqual(plain.Properties.SystemMetadata, { 'cache-control': 'no-cache' });
  for (const u of uploads) assert.equal(u.Properties.Prune, false, 'neither upload deletes the other one\'s files');
  assert.ok(plain.Properties.Exclude.includes('*.br') && plain.Properties.Exclude.includes('*.gz'), 'CloudFront compresses on its own');
  template.hasResourceProperties('AWS::Lambda::Function', {
    Handler: 'bootstrap',
    Environment: { Variables: Match.objectLike({ LEPTOS_SITE_ROOT: '/var/task/site' }) },
  });
});
