import { classify, trainTriage, type LabelledTicket } from '../src/modules/triage/classifier';

/**
 * The triage classifier on a held-out fixture: tickets of an online shop's support desk in
 * four categories, the most common one (billing) a third of them. Trained on two thirds,
 * scored on the rest (every third ticket), it must beat always guessing the most common
 * category — the baseline a classifier has to earn its keep against.
 */
const T = (category: string, priority: string, subject: string, description: string): LabelledTicket => ({ category, priority, subject, description });
const FIXTURE: LabelledTicket[] = [
  T('billing', 'NORMAL', 'Charged twice for my order', 'My card shows two charges for one order'),
  T('billing', 'NORMAL', 'Invoice amount is wrong', 'The invoice total does not match what I paid'),
  T('billing', 'HIGH', 'Refund not received', 'You promised a refund two weeks ago and it has not arrived on my card'),
  T('billing', 'NORMAL', 'Need a VAT invoice', 'Please send an invoice with our VAT number for the payment'),
  T('billing', 'NORMAL', 'Payment declined', 'My credit card payment is declined at checkout'),
  T('billing', 'HIGH', 'Charged after cancellation', 'I cancelled my subscription but was charged again this month'),
  T('billing', 'NORMAL', 'Change payment method', 'How can I update the card used for payments and invoices'),
  T('billing', 'NORMAL', 'Discount code not applied to invoice', 'The discount was not deducted from my invoice total'),
  T('billing', 'HIGH', 'Double payment on subscription', 'The subscription payment was taken twice from my bank account'),
  T('billing', 'NORMAL', 'Where is my receipt', 'I need a receipt for the payment I made yesterday'),
  T('billing', 'NORMAL', 'Refund to a different card', 'My old card expired, can the refund go to a new card'),
  T('billing', 'NORMAL', 'Unknown charge on statement', 'There is a charge from you on my bank statement I do not recognise'),
  T('shipping', 'NORMAL', 'Parcel has not arrived', 'My order was shipped a week ago and the parcel is still not here'),
  T('shipping', 'NORMAL', 'Tracking number does not work', 'The tracking link for my shipment shows no information'),
  T('shipping', 'HIGH', 'Package arrived damaged', 'The box was crushed in delivery and the item is broken'),
  T('shipping', 'NORMAL', 'Change delivery address', 'Can you ship my order to my office address instead'),
  T('shipping', 'NORMAL', 'Stuck in customs', 'My international delivery is held at customs'),
  T('shipping', 'NORMAL', 'Wrong item delivered', 'The parcel contained a different product than I ordered'),
  T('shipping', 'NORMAL', 'Courier left parcel outside', 'The courier left my package at the door and it is gone'),
  T('shipping', 'LOW', 'Delivery time to Austria', 'How long does shipping to Austria take'),
  T('shipping', 'NORMAL', 'Missing item in my parcel', 'One item of my order was missing from the delivery'),
  T('account', 'NORMAL', 'Cannot log in', 'My password does not work and I cannot sign in to my account'),
  T('account', 'HIGH', 'Account locked', 'My account is locked after too many login attempts'),
  T('account', 'NORMAL', 'Two-factor code not accepted', 'The authenticator code is rejected when I sign in'),
  T('account', 'LOW', 'Change my email address', 'I want to change the email address of my account'),
  T('account', 'NORMAL', 'Delete my account', 'Please delete my account and my personal data'),
  T('account', 'NORMAL', 'Password reset email missing', 'I requested a password reset but no email arrived'),
  T('account', 'NORMAL', 'Add a team member', 'How do I invite a colleague to my account'),
  T('account', 'NORMAL', 'Lost my phone with 2FA', 'I lost my phone and cannot get the login code'),
  T('product', 'LOW', 'Which size should I order', 'The product size chart is confusing, which size fits'),
  T('product', 'NORMAL', 'Is this product waterproof', 'Can I use the jacket in heavy rain, is it waterproof'),
  T('product', 'LOW', 'Battery life of the speaker', 'How long does the speaker battery last on one charge'),
  T('product', 'NORMAL', 'Product stopped working', 'The blender stopped working after two uses'),
  T('product', 'LOW', 'Colour options', 'Is the sofa available in other colours'),
  T('product', 'NORMAL', 'Manual for the coffee machine', 'Where can I find the manual of the coffee machine'),
  T('product', 'NORMAL', 'Warranty on the laptop', 'How long is the warranty on the laptop and what does it cover'),
];

const train = FIXTURE.filter((_, i) => i % 3 !== 0);
const heldOut = FIXTURE.filter((_, i) => i % 3 === 0);

describe('the triage classifier', () => {
  it('beats always guessing the most common category on held-out tickets', () => {
    const model = trainTriage(train);
    const counts = new Map<string, number>();
    for (const t of train) counts.set(t.category, (counts.get(t.category) ?? 0) + 1);
    const mostCommon = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const baseline = heldOut.filter((t) => t.category === mostCommon).length / heldOut.length;
    const accuracy = heldOut.filter((t) => classify(model, t).category?.label === t.category).length / heldOut.length;
    expect(mostCommon).toBe('billing');
    expect(baseline).toBeLessThan(0.4);
    expect(accuracy).toBeGreaterThan(baseline + 0.3);
  });

  it('is confident on a clear ticket and unsure on an unrelated one', () => {
    const model = trainTriage(FIXTURE);
    const clear = classify(model, { subject: 'Refund for a double charge', description: 'I was charged twice, please refund the payment to my card' });
    expect(clear.category).toMatchObject({ label: 'billing' });
    expect(clear.category!.confidence).toBeGreaterThan(0.9);
    const vague = classify(model, { subject: 'Hello', description: 'Question' });
    expect(vague.category!.confidence).toBeLessThan(0.6);
  });

  it('knows nothing without training data', () => {
    expect(classify(trainTriage([]), { subject: 'x', description: 'y' }).category).toBeNull();
  });
});
