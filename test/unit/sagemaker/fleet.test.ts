import { describe, expect, it } from 'vitest';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { FleetError, parseFleet } from '../../../src/fleet/load.ts';

const fleet = (endpoints: string) => `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: us-east }
spec:
  location: { latitude: 38.9, longitude: -77.4, continent: NA }
  residency: us
  endpoints:
${endpoints}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llama
  annotations: { switchyard.dev/model: llama-3.1-8b }
spec:
  predictor:
    model:
      modelFormat: { name: vLLM }
`;

const SAGEMAKER = `    - model: llama-3.1-8b
      backend: sagemaker
      endpointName: llama-lmi-prod
      awsRegion: us-east-1
      inferenceComponent: llama-ic
      targetVariant: AllTraffic
      outputStyle: json-lines
      credentials: { accessKeyIdSecret: AWS_ACCESS_KEY_ID, secretAccessKeySecret: AWS_SECRET_ACCESS_KEY, sessionTokenSecret: AWS_SESSION_TOKEN }
      name: sm`;

const problems = (text: string) => {
  try {
    compileFleet(parseFleet(text, 'fleet.yaml'));
  } catch (error) {
    if (error instanceof FleetError) return error.problems.map((p) => `${p.field}: ${p.message}`);
    throw error;
  }
  return [];
};

describe('SageMaker endpoints in the fleet file', () => {
  it('compiles next to a vLLM entry written as before (no backend field)', () => {
    const compiled = compileFleet(parseFleet(fleet(`${SAGEMAKER}\n    - { model: llama-3.1-8b, url: "http://10.0.0.5:8000", name: vllm }`), 'fleet.yaml'));
    expect(compiled.endpoints).toEqual([
      {
        id: 'us-east/llama-3.1-8b/sm',
        model: 'llama-3.1-8b',
        region: 'us-east',
        baseUrl: 'https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/llama-lmi-prod',
        pathStyle: 'v1',
        weight: 1,
        backend: 'sagemaker',
        sagemaker: {
          endpointName: 'llama-lmi-prod',
          awsRegion: 'us-east-1',
          inferenceComponent: 'llama-ic',
          targetVariant: 'AllTraffic',
          outputStyle: 'json-lines',
          credentials: { accessKeyIdSecret: 'AWS_ACCESS_KEY_ID', secretAccessKeySecret: 'AWS_SECRET_ACCESS_KEY', sessionTokenSecret: 'AWS_SESSION_TOKEN' },
        },
      },
      { id: 'us-east/llama-3.1-8b/vllm', model: 'llama-3.1-8b', region: 'us-east', baseUrl: 'http://10.0.0.5:8000/v1', pathStyle: 'v1', weight: 1, backend: 'vllm' },
    ]);
  });

  it('takes an endpoint URL override (a simulator, a VPC endpoint), and knows the China partition', () => {
    const local = compileFleet(parseFleet(fleet(`${SAGEMAKER}\n      endpointUrl: "http://127.0.0.1:9000/"`), 'fleet.yaml')).endpoints[0];
    expect(local?.baseUrl).toBe('http://127.0.0.1:9000/endpoints/llama-lmi-prod');
    expect(local?.sagemaker?.endpointUrl).toBe('http://127.0.0.1:9000');
    const china = compileFleet(parseFleet(fleet(SAGEMAKER.replace('us-east-1', 'cn-north-1')), 'fleet.yaml')).endpoints[0];
    expect(china?.baseUrl).toBe('https://runtime.sagemaker.cn-north-1.amazonaws.com.cn/endpoints/llama-lmi-prod');
  });

  it('names the field of each mistake', () => {
    expect(problems(fleet(SAGEMAKER.replace('awsRegion: us-east-1', 'awsRegion: virginia')))).toEqual(['spec.endpoints.0.awsRegion: must be an AWS region such as us-east-1']);
    expect(problems(fleet(SAGEMAKER.replace('json-lines', 'xml')))).toEqual([expect.stringMatching(/^spec\.endpoints\.0\.outputStyle: /)]);
    expect(problems(fleet(SAGEMAKER.replace('secretAccessKeySecret: AWS_SECRET_ACCESS_KEY, ', '')))).toEqual([expect.stringMatching(/^spec\.endpoints\.0\.credentials\.secretAccessKeySecret: /)]);
    expect(problems(fleet(SAGEMAKER.replace('accessKeyIdSecret: AWS_ACCESS_KEY_ID', 'accessKeyIdSecret: AKIAREALKEYINTHEFILE0x')))).toEqual(['spec.endpoints.0.credentials.accessKeyIdSecret: must be an env-var style name']);
    expect(problems(fleet(SAGEMAKER.replace('endpointName: llama-lmi-prod', 'endpointName: llama_lmi')))).toEqual([expect.stringMatching(/^spec\.endpoints\.0\.endpointName: must be a SageMaker endpoint name/)]);
    expect(problems(fleet(`${SAGEMAKER}\n      url: "http://x"`))).toEqual([expect.stringMatching(/^spec\.endpoints\.0: Unrecognized key: "url"/)]);
    expect(problems(fleet('    - { model: llama-3.1-8b, backend: bedrock, url: "http://x" }'))).toEqual([expect.stringMatching(/^spec\.endpoints\.0\.backend: /)]);
  });
});
