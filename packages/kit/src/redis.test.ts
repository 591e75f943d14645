import { sentinelOptions } from './redis';

describe('redis+sentinel:// URLs', () => {
  it('name the sentinels, the master, the db and the password', () => {
    expect(sentinelOptions('redis+sentinel://:s3cret@sentinel-0:26379/mymaster/2?sentinels=sentinel-1:26379,sentinel-2')).toEqual({
      sentinels: [
        { host: 'sentinel-0', port: 26379 },
        { host: 'sentinel-1', port: 26379 },
        { host: 'sentinel-2', port: 26379 },
      ],
      name: 'mymaster',
      db: 2,
      password: 's3cret',
      sentinelPassword: 's3cret',
    });
  });

  it('leave plain redis:// URLs alone and refuse a sentinel URL without a master name', () => {
    expect(sentinelOptions('redis://127.0.0.1:6379')).toBeUndefined();
    expect(() => sentinelOptions('redis+sentinel://sentinel-0:26379')).toThrow(/master name/);
  });
});
