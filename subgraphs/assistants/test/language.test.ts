import { pickVersion, citationsOf } from '../src/modules/answering/answer';
import { asksForHuman, blockedTopicIn, coverage, detectLocale, handoffSummary } from '../src/modules/answering/language';

describe('the assistant’s language rules', () => {
  it('hears a request for a person in the demo locales, and not in ordinary questions', () => {
    for (const t of ['I want a human', 'Can I talk to a real person?', 'human please', 'Agent!', 'Ich möchte mit einem Mitarbeiter sprechen', 'Quiero hablar con una persona', 'Je veux parler à un conseiller']) {
      expect([t, asksForHuman(t)]).toEqual([t, true]);
    }
    for (const t of ['How do I reset my password?', 'Is the human resources page online?', 'Wie setze ich mein Passwort zurück?']) {
      expect([t, asksForHuman(t)]).toEqual([t, false]);
    }
  });

  it('detects the locale a customer writes in, or says it cannot tell', () => {
    expect(detectLocale('How do I reset my password?')).toBe('en');
    expect(detectLocale('Wie kann ich mein Passwort ändern, bitte?')).toBe('de');
    expect(detectLocale('12345')).toBeNull();
  });

  it('finds blocked topics as whole words, stemmed', () => {
    expect(blockedTopicIn('I will call my lawyers', ['lawyer'])).toBe('lawyer');
    expect(blockedTopicIn('we consider legal action now', ['legal action'])).toBe('legal action');
    expect(blockedTopicIn('a flawyer is not a word', ['lawyer'])).toBeNull();
  });

  it('scores confidence on the best covered sentence, ignoring contact details', () => {
    const passage = 'Reset your password: open the sign-in page and choose Forgot password.';
    expect(coverage('Hi, I am robin@example.com, +49 151 2345678. How do I reset my password?', passage)).toBe(1);
    expect(coverage('Which team won the world cup?', passage)).toBe(0);
  });

  it('writes a handoff summary with the ask, what was tried and why', () => {
    const s = handoffSummary({ customerMessages: ['My parcel is late', 'I want a human'], cited: ['Track your parcel (v2)'], botTurns: 1, reason: 'the customer asked for a human' });
    expect(s).toBe('Customer wants: “My parcel is late”. The assistant answered 1 time, citing Track your parcel (v2). Handed off: the customer asked for a human.');
  });

  it('splits conversations between versions by share, the same way every time', () => {
    const a = { activeVersion: 1, candidateVersion: 2, candidateShare: 30 };
    const ids = Array.from({ length: 1000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const onCandidate = ids.filter((id) => pickVersion(a, id) === 2).length;
    expect(onCandidate).toBeGreaterThan(250);
    expect(onCandidate).toBeLessThan(350);
    expect(ids.map((id) => pickVersion(a, id))).toEqual(ids.map((id) => pickVersion(a, id)));
    expect(pickVersion({ ...a, candidateVersion: null }, ids[0]!)).toBe(1);
  });

  it('cites the passages the answer drew on, the best hit at least', () => {
    const hits = [
      { articleId: 'a', title: 'Reset your password', version: 3, snippet: 'Choose Forgot password on the sign-in page.', score: 1 },
      { articleId: 'b', title: 'Shipping times', version: 1, snippet: 'Parcels take two days.', score: 0.5 },
    ];
    expect(citationsOf('Choose Forgot password on the sign-in page.', hits)).toEqual([{ articleId: 'a', version: 3, title: 'Reset your password' }]);
    expect(citationsOf('Nothing in common.', hits)).toEqual([{ articleId: 'a', version: 3, title: 'Reset your password' }]);
  });
});
