// Placeholder until its area lands (issue 13).
import { PageTitle } from '../components.jsx';

export default function Page() {
	return <PageTitle>home</PageTitle>;
}
