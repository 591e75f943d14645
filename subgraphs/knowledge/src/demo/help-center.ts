/**
 * The demo help centers, and the fixture of the retrieval evaluation
 * (test/retrieval.eval.test.ts): acme runs an online-shop platform (merchants sell through
 * it), in English and German; globex sells smart-home devices. `key` names an article in
 * the evaluation's questions.
 */
export interface HelpArticle {
  key: string;
  title: string;
  body: string;
  tags: string[];
  category: string;
  locale: string;
  /** Seeded as a DRAFT (authors only). */
  draft?: boolean;
}

const en = (key: string, category: string, tags: string[], title: string, body: string): HelpArticle => ({ key, title, body: body.trim(), tags, category, locale: 'en' });
const de = (key: string, category: string, tags: string[], title: string, body: string): HelpArticle => ({ key, title, body: body.trim(), tags, category, locale: 'de' });

export const ACME_ARTICLES: HelpArticle[] = [
  en('reset-password', 'account', ['login', 'password'], 'Reset your password', `
If you forgot your password, open the sign-in page and choose **Forgot password?**. Enter the email address of your account and we send you a reset link.

## The link
The link is valid for 60 minutes and works once. Open it on any device, choose a new password of at least 12 characters and sign in again.

## No email arrived?
Check your spam or junk folder and make sure you typed the address you signed up with. Addresses at company domains sometimes hold our mail in quarantine; ask your IT team to allow mail from acme.example.
`),
  en('two-factor', 'account', ['login', 'security', '2fa'], 'Turn on two-factor authentication', `
Two-factor authentication (2FA) protects your account with a second step after your password: a six-digit code from an authenticator app such as Google Authenticator, 1Password or Authy.

## Set it up
Go to **Settings → Security → Two-factor authentication**, scan the QR code with your authenticator app and enter the code it shows. Download your recovery codes and keep them somewhere safe.

## Lost your phone?
Sign in with one of your recovery codes instead of the app code. Each recovery code works once. Without recovery codes, the account owner can reset 2FA for you under Team settings.
`),
  en('locked-account', 'account', ['login', 'security'], 'My account is locked after too many sign-in attempts', `
After ten wrong passwords in a row we lock sign-in for your account for 15 minutes to stop people guessing it. You do not need to do anything: wait a quarter of an hour and try again.

If you are not sure of your password, reset it instead of guessing. If you did not try to sign in yourself, someone else may know your email address: turn on two-factor authentication and change your password.
`),
  en('change-email', 'account', ['account', 'email'], 'Change the email address of your account', `
Open **Settings → Profile** and edit the email field. We send a confirmation link to the new address; the change takes effect when you click it. Until then, sign in with the old address.

Receipts and notifications go to the new address from then on. Your order history, invoices and saved carts stay with the account.
`),
  en('delete-account', 'account', ['account', 'privacy', 'gdpr'], 'Close or delete your account', `
You can close your account at any time under **Settings → Account → Close account**. Active subscriptions are cancelled at the end of their billing period.

## What is deleted
We delete your profile, addresses and saved payment methods within 30 days. Invoices are kept for ten years because tax law requires it.

## Changed your mind?
Within the 30 days, write to support and we restore the account as it was.
`),
  en('export-data', 'account', ['privacy', 'gdpr', 'export'], 'Download a copy of your data', `
Under **Settings → Privacy → Export my data** you can request an archive with your profile, orders, messages and invoices. We email you a download link when the archive is ready, usually within an hour. The link expires after seven days.

The archive is a ZIP file with CSV and JSON files that open in any spreadsheet program.
`),
  en('update-card', 'billing', ['billing', 'payment'], 'Update your credit card or payment method', `
Go to **Billing → Payment methods** and choose **Add payment method**. We accept Visa, Mastercard, American Express, SEPA direct debit and PayPal. Make the new method the default, then remove the old card if you like.

If your card expired, the next charge fails and we email you. Add a new card within 14 days to keep your store online.
`),
  en('failed-payment', 'billing', ['billing', 'payment'], 'Why was my payment declined?', `
A payment is declined by your bank, not by us. The most common reasons are an expired card, insufficient funds, a spending limit, or a bank that blocks online payments abroad.

## What to do
Check the card details under **Billing → Payment methods**, then choose **Retry payment** on the unpaid invoice. If it fails again, call the number on the back of your card and ask the bank to allow the charge from Acme.

We retry a failed charge automatically after 3, 5 and 7 days.
`),
  en('invoices', 'billing', ['billing', 'invoice'], 'Find and download your invoices', `
Every charge comes with an invoice. Open **Billing → Invoices** to see all of them and download each one as a PDF.

## Company details on invoices
To show your company name, address or VAT number on invoices, fill in **Billing → Billing details**. Changes apply to new invoices; for a corrected copy of an older one, contact support.
`),
  en('vat', 'billing', ['billing', 'tax', 'vat'], 'VAT and sales tax on your bill', `
Prices are shown without tax. We add VAT for customers in the EU and UK and sales tax in US states where we must collect it.

If you are a business in the EU with a valid VAT ID, enter it under **Billing → Billing details**: we then apply the reverse charge and do not charge VAT. The VAT ID is checked against the EU's VIES service.
`),
  en('refund-policy', 'billing', ['billing', 'refund'], 'Refunds for your subscription', `
You can cancel within 14 days of your first payment for a full refund, no questions asked. After that, subscription fees are not refunded, but you keep access until the end of the period you paid for.

## How refunds are paid
Refunds go back to the card or account you paid with and take 5–10 business days to appear, depending on your bank.

Charged twice by mistake? That is always refunded: contact support with both invoice numbers.
`),
  en('change-plan', 'billing', ['billing', 'plan', 'upgrade'], 'Upgrade or downgrade your plan', `
Switch plans under **Billing → Plan**. An upgrade applies at once and you pay the difference for the rest of the month, prorated to the day. A downgrade applies at the next renewal.

If your store uses features the smaller plan lacks (more than 5 staff accounts, custom domains, or more than 1,000 products), remove them first; the plan page lists what stands in the way.
`),
  en('cancel-subscription', 'billing', ['billing', 'cancel'], 'Cancel your subscription', `
Go to **Billing → Plan** and choose **Cancel subscription**. Your store stays online until the end of the period you paid for, then it is paused: nothing is deleted for 90 days, so you can come back and pick up where you left off.

Cancelling does not delete your account; see *Close or delete your account* for that.
`),
  en('track-order', 'orders', ['orders', 'shipping'], 'Track your order', `
When a merchant ships your order, we email you a tracking number and a link to the carrier's tracking page. You can also find it under **Orders** in your customer account: open the order and choose **Track package**.

Tracking can take up to 24 hours to show the first scan after the label is created.
`),
  en('late-delivery', 'orders', ['orders', 'shipping', 'delivery'], 'My order has not arrived', `
Most orders arrive within the delivery window shown at checkout. If yours is late:

1. Check the tracking page: a package marked *delivered* may be with a neighbour or in a parcel locker.
2. Wait two business days after the estimated date; carriers often catch up.
3. Still nothing? Contact the merchant from the order page. If the merchant does not answer within 48 hours, open a case with us and we step in.
`),
  en('return-item', 'orders', ['orders', 'returns', 'refund'], 'Return an item and get your money back', `
You can return most items within 30 days of delivery. Open the order under **Orders**, choose **Return items**, pick the items and a reason, and print the return label.

## Your refund
The merchant refunds you once the parcel arrives back, usually within five business days, to your original payment method. Return shipping is free when the item was faulty or wrong.
`),
  en('damaged-item', 'orders', ['orders', 'returns', 'damaged'], 'An item arrived damaged or broken', `
We are sorry! Take a photo of the damaged item and of the packaging, then open the order and choose **Report a problem → Arrived damaged**. Attach the photos.

The merchant sends a replacement or refunds you in full, and you do not pay for return shipping. Keep the packaging until the case is closed: the carrier may want to inspect it.
`),
  en('change-address', 'orders', ['orders', 'shipping', 'address'], 'Change the delivery address of an order', `
You can change the address while the order is *processing*: open it and choose **Edit delivery address**. Once the order is *shipped*, the address cannot be changed by us; ask the carrier through its tracking page to redirect the parcel, or to hold it at a pickup point.
`),
  en('cancel-order', 'orders', ['orders', 'cancel'], 'Cancel an order', `
An order can be cancelled until it ships. Open it under **Orders** and choose **Cancel order**; the full amount goes back to your payment method within a few days.

Already shipped? Refuse the delivery or return the items once they arrive: see *Return an item and get your money back*.
`),
  en('shipping-costs', 'orders', ['shipping', 'pricing'], 'Shipping costs and delivery times', `
Each merchant sets its own shipping rates; checkout shows the cost and the expected delivery date before you pay. Standard delivery takes 2–5 business days within the country, express 1–2.

International orders may take up to 14 days and can owe import duties or customs fees, which the recipient pays on delivery.
`),
  en('add-product', 'store', ['store', 'products'], 'Add a product to your store', `
In the admin, open **Products → Add product**. Give it a title, a description, at least one photo and a price. Set the stock quantity if you want us to track inventory.

## Variants
Sizes, colours and other options are variants: add an option under **Variants** and each combination gets its own price, SKU and stock.

Save as draft to keep it hidden, or publish it to show it in your store at once.
`),
  en('import-products', 'store', ['store', 'products', 'import', 'csv'], 'Import products from a CSV file', `
Move a whole catalogue at once: **Products → Import** takes a CSV file with one row per product or variant. Download the template first; the columns are title, description, price, sku, stock, image_url and option values.

Up to 10,000 rows per file. Rows with errors are listed after the import with the reason, and the rest are imported.
`),
  en('custom-domain', 'store', ['store', 'domain', 'dns'], 'Connect your own domain', `
Your store starts at yourstore.acme.example. To use your own domain, go to **Settings → Domains → Connect domain** and enter it.

## DNS records
At your domain provider, add a CNAME record for www pointing to stores.acme.example and an A record for the bare domain pointing to 192.0.2.10. DNS changes can take up to 48 hours. We issue the HTTPS certificate automatically once the records are found.
`),
  en('discount-codes', 'store', ['store', 'marketing', 'discounts'], 'Create discount codes', `
Under **Marketing → Discounts → Create discount**, choose a code (for example SUMMER20), a percentage or fixed amount, and optionally a minimum order value, an end date and a usage limit.

Customers enter the code at checkout. One code applies per order; automatic discounts apply without a code.
`),
  en('staff-accounts', 'store', ['store', 'team', 'permissions'], 'Invite staff and set permissions', `
Add team members under **Settings → Staff → Invite**. Each invitee gets an email to set a password. Choose what they may do: orders only, products, marketing, or full access.

The number of staff accounts depends on your plan: 2 on Starter, 5 on Growth, unlimited on Pro. Remove someone under the same page; their access ends at once.
`),
  en('payouts', 'payments', ['payouts', 'payments', 'bank'], 'When do I get paid? Payouts to your bank account', `
Sales are paid out to your bank account every business day, two days after the customer paid (T+2). The first payout after you connect a bank account can take up to seven days while we verify it.

See each payout, and the orders in it, under **Payments → Payouts**. A payout on hold shows the reason, for example a missing tax ID.
`),
  en('transaction-fees', 'payments', ['payments', 'fees', 'pricing'], 'Transaction fees', `
For every sale paid through Acme Payments we charge 1.9% + €0.25 on Starter, 1.6% + €0.25 on Growth and 1.2% + €0.25 on Pro. Fees are taken from the payout; the payout report lists them per order.

Refunding an order returns our percentage fee, but not the fixed €0.25.
`),
  en('chargebacks', 'payments', ['payments', 'disputes', 'chargeback'], 'A customer disputed a payment (chargeback)', `
When a customer asks their bank to reverse a payment, we hold the amount and a €15 dispute fee and email you. Open **Payments → Disputes** to answer: upload proof of delivery, the tracking number and any messages with the customer.

Answer within seven days. If the bank decides for you, the amount and the fee come back.
`),
  en('api-keys', 'developers', ['developers', 'api', 'integration'], 'Create an API key for the developer API', `
Developers connect other systems to your store with an API key. Create one under **Settings → Developers → API keys**, give it a name and choose its scopes, for example read orders or write products.

The key is shown once: copy it into your system's secret store. Revoke a key that leaked at once on the same page; requests with it fail from then on.
`),
  en('webhooks', 'developers', ['developers', 'webhooks', 'integration'], 'Receive webhooks when orders change', `
A webhook sends an HTTP POST to your server when something happens in your store, such as a new order or a refund. Add an endpoint under **Settings → Developers → Webhooks** and pick the events.

Each request is signed with your endpoint's secret in the X-Acme-Signature header; check it before trusting the body. Failed deliveries are retried with backoff for 24 hours.
`),
  en('store-offline', 'troubleshooting', ['troubleshooting', 'outage'], 'My store is down or will not load', `
First check status.acme.example: if we have an incident, it is listed there with updates.

If our status is green, the cause is usually the domain: a DNS record changed at your provider, or the domain expired. Open **Settings → Domains** to see whether your domain still points to us. A store paused for an unpaid invoice shows a notice until the invoice is paid.
`),
  en('slow-checkout', 'troubleshooting', ['troubleshooting', 'checkout', 'performance'], 'Checkout is slow or customers cannot pay', `
If customers report errors at checkout, check that your payment provider is connected under **Settings → Payments** and that its account is not restricted.

Slow pages are most often caused by very large images or many third-party scripts from apps. Compress product photos below 2 MB and remove apps you no longer use. Our checkout itself is hosted by us and is not affected by your theme.
`),
];

export const ACME_ARTICLES_DE: HelpArticle[] = [
  de('de-reset-password', 'konto', ['anmeldung', 'passwort'], 'Passwort zurücksetzen', `
Passwort vergessen? Wähle auf der Anmeldeseite **Passwort vergessen?** und gib die E-Mail-Adresse deines Kontos ein. Wir schicken dir einen Link zum Zurücksetzen.

## Der Link
Der Link ist 60 Minuten gültig und funktioniert einmal. Wähle ein neues Passwort mit mindestens 12 Zeichen.

## Keine E-Mail bekommen?
Sieh im Spam-Ordner nach und prüfe, ob du die richtige Adresse eingegeben hast.
`),
  de('de-refund', 'abrechnung', ['abrechnung', 'erstattung'], 'Rückerstattung deines Abonnements', `
Innerhalb von 14 Tagen nach der ersten Zahlung kannst du kündigen und bekommst den vollen Betrag zurück. Danach werden Abogebühren nicht erstattet, du behältst aber den Zugang bis zum Ende des bezahlten Zeitraums.

Rückerstattungen gehen an die Karte oder das Konto, mit dem du bezahlt hast, und dauern 5–10 Werktage.
`),
  de('de-invoices', 'abrechnung', ['abrechnung', 'rechnung'], 'Rechnungen finden und herunterladen', `
Zu jeder Zahlung gibt es eine Rechnung. Unter **Abrechnung → Rechnungen** findest du alle als PDF.

Damit Firmenname, Adresse oder USt-IdNr. auf der Rechnung stehen, fülle **Abrechnung → Rechnungsdaten** aus.
`),
  de('de-track-order', 'bestellungen', ['bestellungen', 'versand'], 'Bestellung verfolgen', `
Sobald der Händler deine Bestellung verschickt, bekommst du per E-Mail eine Sendungsnummer. Du findest sie auch unter **Bestellungen**: Bestellung öffnen und **Sendung verfolgen** wählen.

Es kann bis zu 24 Stunden dauern, bis der erste Scan angezeigt wird.
`),
  de('de-return-item', 'bestellungen', ['bestellungen', 'rücksendung'], 'Artikel zurücksenden und Geld zurückbekommen', `
Die meisten Artikel kannst du innerhalb von 30 Tagen nach Lieferung zurückschicken. Öffne die Bestellung, wähle **Artikel zurücksenden**, einen Grund, und drucke das Rücksendeetikett.

Der Händler erstattet den Betrag, sobald das Paket angekommen ist, meist innerhalb von fünf Werktagen.
`),
  de('de-two-factor', 'konto', ['anmeldung', 'sicherheit'], 'Zwei-Faktor-Authentifizierung einschalten', `
Die Zwei-Faktor-Authentifizierung schützt dein Konto mit einem sechsstelligen Code aus einer Authenticator-App.

Unter **Einstellungen → Sicherheit** scannst du den QR-Code und gibst den Code ein. Bewahre die Wiederherstellungscodes sicher auf: Damit meldest du dich an, wenn du dein Handy verloren hast.
`),
  de('de-payouts', 'zahlungen', ['auszahlungen', 'bank'], 'Wann bekomme ich mein Geld? Auszahlungen', `
Verkäufe werden an jedem Werktag auf dein Bankkonto ausgezahlt, zwei Tage nach der Zahlung des Kunden. Die erste Auszahlung kann bis zu sieben Tage dauern, während wir das Konto prüfen.
`),
  { ...de('de-shipping-draft', 'bestellungen', ['versand'], 'Versandkosten (Entwurf)', `
Jeder Händler legt seine Versandkosten selbst fest. Dieser Artikel wird noch überarbeitet.
`), draft: true },
];

export const GLOBEX_ARTICLES: HelpArticle[] = [
  en('gx-pair-hub', 'setup', ['hub', 'setup', 'wifi'], 'Set up your Globex Hub', `
Plug the Hub into power and your router with the included cable. Open the Globex Home app, tap **Add device → Hub** and follow the steps. The light turns solid green when it is online.

If the light keeps blinking orange, the Hub cannot reach the internet: check the cable and restart your router.
`),
  en('gx-add-sensor', 'setup', ['sensor', 'zigbee'], 'Add a door or motion sensor', `
Pull the battery tab, then in the app tap **Add device → Sensor**. Hold the sensor within 2 metres of the Hub while pairing. Mount it with the adhesive strip once the app shows it as online.
`),
  en('gx-battery', 'devices', ['sensor', 'battery'], 'Replace sensor batteries', `
Sensors run about two years on a CR2032 coin cell. The app warns you at 15%. Slide the cover off, swap the battery with the + side up, and the sensor reconnects on its own.
`),
  en('gx-offline', 'troubleshooting', ['hub', 'offline', 'wifi'], 'My devices show as offline', `
If every device is offline, the Hub has lost its connection: check that it has a green light and restart it. If only one device is offline, it may be out of range or its battery may be empty. Move it closer or replace the battery.
`),
  en('gx-automations', 'features', ['automation', 'app'], 'Create automations', `
Automations switch things for you: for example, turn on the hall light when the front door opens after sunset. In the app, open **Automations → New**, pick a trigger, conditions and actions.
`),
  en('gx-warranty', 'orders', ['warranty', 'returns'], 'Warranty and repairs', `
Every Globex device has a two-year warranty. If a device stops working, contact us with its serial number (on the back or in the app under Device info) and we send a replacement.
`),
  en('gx-subscription', 'billing', ['billing', 'subscription', 'cloud'], 'Globex Cloud Recording plan', `
Cloud Recording keeps 30 days of camera video for €4.99 a month per home. Cancel any time in the app under **Account → Subscription**; recordings are kept until the end of the paid month.
`),
  en('gx-reset-hub', 'troubleshooting', ['hub', 'reset'], 'Factory reset the Hub', `
Hold the reset button on the back for 10 seconds until the light flashes white. All devices and automations are removed from the Hub; they stay in your account and can be re-added.
`),
  { ...en('gx-beta-voice', 'features', ['voice'], 'Voice assistant integration (beta)', `
We are testing voice control with assistants. This article is a draft.
`), draft: true },
];
