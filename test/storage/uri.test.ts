import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import {
  AccessDeniedError,
  httpStatusError,
  InvalidUriError,
  joinUri,
  mapS3Error,
  NotFoundError,
  parseUri,
} from '../../src/storage/index.ts';

describe('parseUri', () => {
  it('parses each scheme', () => {
    assert.deepEqual(parseUri('s3://stpubdata/hst/public/j8bt/x.fits'), {
      scheme: 's3',
      bucket: 'stpubdata',
      key: 'hst/public/j8bt/x.fits',
      uri: 's3://stpubdata/hst/public/j8bt/x.fits',
    });
    assert.equal(parseUri('file:rel/x.fits').key, resolve('rel/x.fits'));
    assert.equal(parseUri('file:///abs/x.fits').key, '/abs/x.fits');
    assert.equal(parseUri('file:/abs/dir/').key, '/abs/dir/');
    assert.equal(parseUri('/abs/plain').scheme, 'file');
    assert.equal(parseUri('memory:/a/b').key, 'a/b');
    assert.equal(parseUri('https://mast.stsci.edu/api/v0.1/x?y=1').scheme, 'https');
  });

  it('rejects malformed URIs and `..` keys with InvalidUriError (exit 64)', () => {
    for (const bad of [
      '',
      's3://',
      's3://UPPER/x',
      's3://ab/x',
      's3://bkt/../x',
      'file:../x',
      'file:a/../../b',
      'memory:a/../b',
      'ftp://x/y',
      'http://',
      'http://h/a/%2e%2e/b',
      's3://bkt//x',
    ]) {
      assert.throws(
        () => parseUri(bad),
        (e: unknown) => e instanceof InvalidUriError && e.exitCode === 64,
        bad,
      );
    }
  });

  it('joins prefixes and keys', () => {
    assert.equal(joinUri('s3://b/p/', '/k'), 's3://b/p/k');
    assert.equal(joinUri('s3://b/p', 'k'), 's3://b/p/k');
    assert.equal(joinUri('memory:', 'k'), 'memory:k');
  });
});

describe('error mapping', () => {
  it('maps S3 and HTTP failures to typed errors', () => {
    assert.ok(
      mapS3Error({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }, 's3://b/k') instanceof
        NotFoundError,
    );
    assert.equal((mapS3Error({ name: 'NoSuchBucket' }, 's3://b/k') as NotFoundError).code, 'E_NO_BUCKET');
    assert.ok(
      mapS3Error({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, 's3://b/k') instanceof
        AccessDeniedError,
    );
    assert.equal(httpStatusError('http://h/x', 403).exitCode, 77);
    assert.equal(httpStatusError('http://h/x', 404).code, 'E_NOT_FOUND');
    assert.equal(httpStatusError('http://h/x', 500).code, 'E_TRANSFER');
  });
});
