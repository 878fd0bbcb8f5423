import { strict as assert } from 'node:assert';
import { CoveredSaves } from '../../server/watch/covered-saves';

describe('covered saves: a save request joins the reload the watcher started for it', () => {
  const mtimes = new Map<string, number>();
  const mtimeOf = (f: string) => mtimes.get(f);

  it('joins while every file is as it was when the reload started, the latest reload', () => {
    const covered = new CoveredSaves<string>();
    mtimes.set('/a.js', 1).set('/b.js', 2);
    covered.record(['/a.js'], mtimeOf, 'first');
    covered.record(['/b.js'], mtimeOf, 'second');
    assert.equal(covered.find(['/a.js'], mtimeOf), 'first');
    assert.equal(covered.find(['/a.js', '/b.js'], mtimeOf), 'second');
  });

  it('does not join for a file written since, a file no reload was for, a deleted file, or no files', () => {
    const covered = new CoveredSaves<string>();
    mtimes.set('/a.js', 1).set('/c.js', 3);
    covered.record(['/a.js', '/gone.js'], mtimeOf, 'r');
    mtimes.set('/a.js', 5);
    assert.equal(covered.find(['/a.js'], mtimeOf), undefined);
    assert.equal(covered.find(['/c.js'], mtimeOf), undefined);
    assert.equal(covered.find(['/gone.js'], mtimeOf), undefined);
    assert.equal(covered.find([], mtimeOf), undefined);
  });

  it('forgets the oldest files past 1000', () => {
    const covered = new CoveredSaves<number>();
    for (let i = 0; i < 1001; i++) mtimes.set(`/f${i}`, 1);
    for (let i = 0; i < 1001; i++) covered.record([`/f${i}`], mtimeOf, i);
    assert.equal(covered.find(['/f0'], mtimeOf), undefined);
    assert.equal(covered.find(['/f1000'], mtimeOf), 1000);
  });
});
