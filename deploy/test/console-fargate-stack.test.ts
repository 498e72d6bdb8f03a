// The container alternative, offline: an HTTPS load balancer in front of two Fargate tasks running
// the repository's image, the same scoped permissions as the Lambda deployment.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConsoleFargateStack } from '../lib/console-fargate-stack';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-fargate-'));
const image = path.join(dir, 'image');
fs.mkdirSync(image);
fs.writeFileSync(path.join(image, 'Dockerfile'), 'FROM scratch\n');
const app = new App({ outdir: path.join(dir, 'cdk.out') });
const stack = new ConsoleFargateStack(app, 'ConsoleFargateTest', {
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
  publicUrl: 'https://console.example.com',
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
  imageDir: image,
});
const template = Template.fromStack(stack);
const json = template.toJSON();
if (process.env.CONSOLE_FARGATE_TEMPLATE_OUT) fs.writeFileSync(process.env.CONSOLE_FARGATE_TEMPLATE_OUT, JSON.stringify(json, null, 1));

test('two Fargate tasks run the image on port 3000 with the platform stack named', () => {
  template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 2, LaunchType: 'FARGATE' });
  template.hasResourceProperties('AWS::ECS::TaskDefinition', {
    ContainerDefinitions: [
      Match.objectLike({
        PortMappings: [Match.objectLike({ ContainerPort: 3000 })],
        Environment: Match.arrayWith([
          // The load balancer appends the client's address: one trusted hop.
          { Name: 'CONSOLE_TRUSTED_PROXY_HOPS', Value: '1' },
          { Name: 'PLATFORM_STACK_NAME', Value: 'backgroundagent-dev' },
          { Name: 'CONSOLE_SWEEP_INTERVAL_SECONDS', Value: '900' },
        ]),
      }),
    ],
  });
});

test('the load balancer speaks HTTPS with the certificate and checks /healthz', () => {
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Protocol: 'HTTPS',
    Certificates: [{ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555' }],
  });
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/healthz' });
});

test('the task role gets the same scoped permissions, never * on DynamoDB or Secrets Manager', () => {
  const statements: any[] = Object.values(json.Resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const scoped = statements.filter((s) => [s.Action].flat().some((a: string) => /^(dynamodb|secretsmanager):/.test(a)));
  assert.ok(scoped.some((s) => s.Sid === 'WorkspaceTokenBundles'), 'the bundle statement is there');
  for (const s of scoped) {
    for (const r of [s.Resource].flat()) assert.notEqual(r, '*', `unscoped: ${JSON.stringify(s)}`);
  }
});
