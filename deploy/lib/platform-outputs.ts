// The platform stack's outputs, read with DescribeStacks (your credentials; `AWS_ENDPOINT_URL` points
// the SDK elsewhere, as the deployment rehearsal points it at moto).
import { CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PlatformOutputs } from './console-base';

export async function platformOutputs(stackName: string, region: string): Promise<PlatformOutputs> {
  const client = new CloudFormationClient({ region });
  const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const need = (key: string): string => {
    const value = outputs.get(key);
    if (!value) throw new Error(`the platform stack ${stackName} has no output ${key}: is it the platform's stack?`);
    return value;
  };
  return {
    registryTableName: need('LinearWorkspaceRegistryTableName'),
    userMappingTableName: need('LinearUserMappingTableName'),
    projectMappingTableName: need('LinearProjectMappingTableName'),
    repoTableName: outputs.get('RepoTableName') || undefined,
    webhookSecretArn: need('LinearWebhookSecretArn'),
    userPoolId: need('UserPoolId'),
    processorLogGroup: process.env.PLATFORM_PROCESSOR_LOG_GROUP || (await processorLogGroup(client, stackName)),
  };
}

/** The webhook processor's default log group: the stack's Lambda function whose logical id
 * contains `WebhookProcessorFn` (contract §11). None when the stack has no such function. */
export async function processorLogGroup(client: CloudFormationClient, stackName: string): Promise<string | undefined> {
  const out = await client.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  const fn = (out.StackResources ?? []).find(
    (r) => r.ResourceType === 'AWS::Lambda::Function' && (r.LogicalResourceId ?? '').includes('WebhookProcessorFn') && r.PhysicalResourceId,
  );
  return fn ? `/aws/lambda/${fn.PhysicalResourceId}` : undefined;
}
