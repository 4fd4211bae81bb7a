// The parts of the AWS SDK the backend calls, imported by name: the bundler keeps these and
// what they need and drops the rest of the package (the aggregated client, InvokeEndpointAsync,
// its schemas). client.ts loads this module on first use.
export { InvokeEndpointCommand, InvokeEndpointWithResponseStreamCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
